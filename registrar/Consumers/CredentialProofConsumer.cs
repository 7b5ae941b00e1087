using KcryptPush.Contracts.V1;
using KcryptPush.Registrar.Enrolment;
using MassTransit;

namespace KcryptPush.Registrar.Consumers;

/// <summary>
/// CredentialProof (request) → NodeEnrolled (response, and published for the verifier) or
/// EnrolmentRejected. The node is committed to the store before anything is sent; the bus's
/// in-memory outbox sends the response and the event only after this method returns, and the
/// message is acknowledged after that. A redelivered proof is answered and published again
/// (idempotent by challenge id; the verifier's consumer is idempotent too).
/// </summary>
public sealed class CredentialProofConsumer(EnrolmentService enrolment) : IConsumer<CredentialProof>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<CredentialProof> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        ProofOutcome outcome = enrolment.Prove(context.Message);
        if (outcome.Enrolled is { } enrolled)
        {
            await context.Publish(enrolled).ConfigureAwait(false);
            await context.RespondAsync(enrolled).ConfigureAwait(false);
        }
        else
        {
            await context.RespondAsync(outcome.Rejection!).ConfigureAwait(false);
        }
    }
}
