using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Metrics;
using KcryptPush.Verifier.Verdicts;
using MassTransit;

namespace KcryptPush.Verifier.Attestation;

/// <summary>
/// Consumes QuoteSubmitted (<c>kcrypt-push-verifier-attestation</c>): runs the pipeline and answers
/// the response address with the AttestationResult (the bus's in-memory outbox sends it only after
/// the consumer succeeded; a redelivered message gets the stored result again). A verdict event of a
/// state change was staged in the node's record by the pipeline and goes out through
/// <see cref="VerdictOutbox"/>. The queue wait of authenticated evidence goes to <see cref="AttestationQueueLag"/>
/// (the silence detector's measure of the verifier's backlog); rejected messages (unknown node, forged) and repeats
/// are not counted, so a broker login alone cannot move it.
/// </summary>
public sealed class QuoteSubmittedConsumer(AttestationPipeline pipeline, VerdictOutbox outbox, VerifierMetrics? metrics = null, AttestationQueueLag? queueLag = null)
    : IConsumer<QuoteSubmitted>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<QuoteSubmitted> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        DateTime? arrived = queueLag?.Now;
        if (context.Message.EventLog is { } log)
        {
            metrics?.EventLogReceived(log.Length);
        }

        AttestationOutcome outcome = pipeline.Evaluate(context.Message);
        if (metrics is not null && !outcome.Redelivery)
        {
            metrics.Attested(outcome.Rejected ? VerifierMetrics.Rejected : outcome.Result.Verdict,
                outcome.Result.Reasons is { Length: > 0 } reasons ? reasons[0].Code : "");
        }

        if (!outcome.Rejected && !outcome.Redelivery && arrived is { } consumedAt && context.SentTime is { } sentAt)
        {
            queueLag!.Consumed(sentAt, consumedAt);
        }

        outbox.Notify(outcome.Verdict);
        if (context.ResponseAddress is not null)
        {
            await context.RespondAsync(outcome.Result).ConfigureAwait(false);
        }
    }
}
