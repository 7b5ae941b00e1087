using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>Answers <see cref="DeleteNode"/>: the node is forgotten (the audit trail stays).</summary>
public sealed class DeleteNodeConsumer(NodeOperations operations) : IConsumer<DeleteNode>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<DeleteNode> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await context.RespondAsync(operations.Delete(context.Message)).ConfigureAwait(false);
    }
}
