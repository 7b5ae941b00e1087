using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Verdicts;
using MassTransit;

namespace KcryptPush.Verifier.Attestation;

/// <summary>
/// Consumes QuoteSubmitted (<c>kcrypt-push-verifier-attestation</c>): runs the pipeline, answers the
/// response address with the AttestationResult and publishes the verdict event on a state change.
/// The bus's in-memory outbox sends both only after the consumer (and the store it committed)
/// succeeded; a redelivered message gets the stored result again.
/// </summary>
public sealed class QuoteSubmittedConsumer(AttestationPipeline pipeline) : IConsumer<QuoteSubmitted>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<QuoteSubmitted> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        AttestationOutcome outcome = pipeline.Evaluate(context.Message);
        if (context.ResponseAddress is not null)
        {
            await context.RespondAsync(outcome.Result).ConfigureAwait(false);
        }

        await VerdictPublisher.Publish(context, outcome.Verdict, context.CancellationToken).ConfigureAwait(false);
    }
}
