using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Verdicts;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>
/// Answers <see cref="QuarantineNode"/> and, when the state changed, publishes
/// <see cref="NodeQuarantined"/> (reason code <c>operator-quarantine</c>) on the verdict exchange.
/// The bus's in-memory outbox sends both only after the store committed.
/// </summary>
public sealed class QuarantineNodeConsumer(NodeOperations operations) : IConsumer<QuarantineNode>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<QuarantineNode> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        (OperatorCommandResult result, NodeQuarantined? verdict) = operations.Quarantine(context.Message);
        await context.RespondAsync(result).ConfigureAwait(false);
        await VerdictPublisher.Publish(context, verdict, context.CancellationToken).ConfigureAwait(false);
    }
}
