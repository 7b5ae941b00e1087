using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Verdicts;
using MassTransit;

namespace KcryptPush.Verifier.Attestation;

/// <summary>
/// Consumes QuoteSubmitted (<c>kcrypt-push-verifier-attestation</c>): runs the pipeline and answers
/// the response address with the AttestationResult (the bus's in-memory outbox sends it only after
/// the consumer succeeded; a redelivered message gets the stored result again). A verdict event of a
/// state change was staged in the node's record by the pipeline and goes out through
/// <see cref="VerdictOutbox"/>.
/// </summary>
public sealed class QuoteSubmittedConsumer(AttestationPipeline pipeline, VerdictOutbox outbox) : IConsumer<QuoteSubmitted>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<QuoteSubmitted> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        AttestationOutcome outcome = pipeline.Evaluate(context.Message);
        outbox.Notify(outcome.Verdict);
        if (context.ResponseAddress is not null)
        {
            await context.RespondAsync(outcome.Result).ConfigureAwait(false);
        }
    }
}
