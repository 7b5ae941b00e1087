using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>Answers <see cref="SetSecret"/>: opens the passphrase with the verifier's transport key, stores it, audits the label only.</summary>
public sealed class SetSecretConsumer(NodeOperations operations, BrokerUserOf brokerUser) : IConsumer<SetSecret>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<SetSecret> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? user = brokerUser(context);
        if (OperatorActor.Refusal(user) is { } refused)
        {
            await context.RespondAsync(refused).ConfigureAwait(false);
            return;
        }

        await context.RespondAsync(operations.SetSecret(context.Message with { Operator = OperatorActor.Of(user!, context.Message.Operator) })).ConfigureAwait(false);
    }
}
