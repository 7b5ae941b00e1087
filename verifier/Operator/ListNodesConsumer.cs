using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>Answers <see cref="ListNodes"/> with every node (<see cref="NodeList"/>).</summary>
public sealed class ListNodesConsumer(NodeOperations operations) : IConsumer<ListNodes>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<ListNodes> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await context.RespondAsync(operations.List()).ConfigureAwait(false);
    }
}
