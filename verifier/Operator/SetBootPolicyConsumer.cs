using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>Answers <see cref="SetBootPolicy"/> (attach a measured-boot policy, or remove the node's own) with an <see cref="OperatorCommandResult"/>.</summary>
public sealed class SetBootPolicyConsumer(NodeOperations operations, BrokerUserOf brokerUser) : IConsumer<SetBootPolicy>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<SetBootPolicy> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? user = brokerUser(context);
        if (OperatorActor.Refusal(user) is { } refused)
        {
            await context.RespondAsync(refused).ConfigureAwait(false);
            return;
        }

        await context.RespondAsync(operations.SetBootPolicy(context.Message with { Operator = OperatorActor.Of(user!, context.Message.Operator) })).ConfigureAwait(false);
    }
}
