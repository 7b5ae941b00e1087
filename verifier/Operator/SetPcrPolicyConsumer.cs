using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>Answers <see cref="SetPcrPolicy"/> (enforce VALUE, learn, skip) with an <see cref="OperatorCommandResult"/>.</summary>
public sealed class SetPcrPolicyConsumer(NodeOperations operations, BrokerUserOf brokerUser) : IConsumer<SetPcrPolicy>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<SetPcrPolicy> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? user = brokerUser(context);
        if (OperatorActor.Refusal(user) is { } refused)
        {
            await context.RespondAsync(refused).ConfigureAwait(false);
            return;
        }

        await context.RespondAsync(operations.SetPcrPolicy(context.Message with { Operator = OperatorActor.Of(user!, context.Message.Operator) })).ConfigureAwait(false);
    }
}
