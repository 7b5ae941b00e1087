using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>Answers <see cref="SetAkPolicy"/> (enforce, learn, skip) with an <see cref="OperatorCommandResult"/>.</summary>
public sealed class SetAkPolicyConsumer(NodeOperations operations) : IConsumer<SetAkPolicy>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<SetAkPolicy> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await context.RespondAsync(operations.SetAkPolicy(context.Message)).ConfigureAwait(false);
    }
}
