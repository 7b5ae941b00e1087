using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>Answers <see cref="SetAkPolicy"/> (enforce, learn, skip) with an <see cref="OperatorCommandResult"/>.</summary>
public sealed class SetAkPolicyConsumer(NodeOperations operations, BrokerUserOf brokerUser) : IConsumer<SetAkPolicy>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<SetAkPolicy> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? user = brokerUser(context);
        if (OperatorActor.Refusal(user) is { } refused)
        {
            await context.RespondAsync(refused).ConfigureAwait(false);
            return;
        }

        await context.RespondAsync(operations.SetAkPolicy(context.Message with { Operator = OperatorActor.Of(user!, context.Message.Operator) })).ConfigureAwait(false);
    }
}
