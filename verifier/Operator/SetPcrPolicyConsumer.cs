using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>Answers <see cref="SetPcrPolicy"/> (enforce VALUE, learn, skip) with an <see cref="OperatorCommandResult"/>.</summary>
public sealed class SetPcrPolicyConsumer(NodeOperations operations) : IConsumer<SetPcrPolicy>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<SetPcrPolicy> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await context.RespondAsync(operations.SetPcrPolicy(context.Message)).ConfigureAwait(false);
    }
}
