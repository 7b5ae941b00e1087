using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>Answers <see cref="SetBootPolicy"/> (attach a measured-boot policy, or remove the node's own) with an <see cref="OperatorCommandResult"/>.</summary>
public sealed class SetBootPolicyConsumer(NodeOperations operations) : IConsumer<SetBootPolicy>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<SetBootPolicy> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await context.RespondAsync(operations.SetBootPolicy(context.Message)).ConfigureAwait(false);
    }
}
