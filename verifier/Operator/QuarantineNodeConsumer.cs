using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Verdicts;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>
/// Answers <see cref="QuarantineNode"/>; when the state changed, the <see cref="NodeQuarantined"/>
/// (reason code <c>operator-quarantine</c>) staged in the node's record goes out through
/// <see cref="VerdictOutbox"/>.
/// </summary>
public sealed class QuarantineNodeConsumer(NodeOperations operations, VerdictOutbox outbox, BrokerUserOf brokerUser) : IConsumer<QuarantineNode>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<QuarantineNode> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? user = brokerUser(context);
        if (OperatorActor.Refusal(user) is { } refused)
        {
            await context.RespondAsync(refused).ConfigureAwait(false);
            return;
        }

        (OperatorCommandResult result, NodeQuarantined? verdict) = operations.Quarantine(context.Message with { Operator = OperatorActor.Of(user!, context.Message.Operator) });
        outbox.Notify(verdict);
        await context.RespondAsync(result).ConfigureAwait(false);
    }
}
