using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Verdicts;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>Answers <see cref="ReleaseNode"/>: Quarantined → Pending; the <see cref="NodeReleased"/>
/// staged in the node's record goes out through <see cref="VerdictOutbox"/>.</summary>
public sealed class ReleaseNodeConsumer(NodeOperations operations, VerdictOutbox outbox, BrokerUserOf brokerUser) : IConsumer<ReleaseNode>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<ReleaseNode> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? user = brokerUser(context);
        if (OperatorActor.Refusal(user) is { } refused)
        {
            await context.RespondAsync(refused).ConfigureAwait(false);
            return;
        }

        (OperatorCommandResult result, NodeReleased? verdict) = operations.Release(context.Message with { Operator = OperatorActor.Of(user!, context.Message.Operator) });
        outbox.Notify(verdict);
        await context.RespondAsync(result).ConfigureAwait(false);
    }
}
