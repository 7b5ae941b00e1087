using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>Answers <see cref="ReleaseNode"/>: Quarantined → Pending.</summary>
public sealed class ReleaseNodeConsumer(NodeOperations operations) : IConsumer<ReleaseNode>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<ReleaseNode> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await context.RespondAsync(operations.Release(context.Message)).ConfigureAwait(false);
    }
}
