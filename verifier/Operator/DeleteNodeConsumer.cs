using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>Answers <see cref="DeleteNode"/>: the node is forgotten (the audit trail stays).</summary>
public sealed class DeleteNodeConsumer(NodeOperations operations, BrokerUserOf brokerUser) : IConsumer<DeleteNode>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<DeleteNode> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? user = brokerUser(context);
        if (OperatorActor.Refusal(user) is { } refused)
        {
            await context.RespondAsync(refused).ConfigureAwait(false);
            return;
        }

        await context.RespondAsync(operations.Delete(context.Message with { Operator = OperatorActor.Of(user!, context.Message.Operator) })).ConfigureAwait(false);
    }
}
