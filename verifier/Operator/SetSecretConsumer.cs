using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>Answers <see cref="SetSecret"/>: opens the passphrase with the verifier's transport key, stores it, audits the label only.</summary>
public sealed class SetSecretConsumer(NodeOperations operations) : IConsumer<SetSecret>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<SetSecret> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await context.RespondAsync(operations.SetSecret(context.Message)).ConfigureAwait(false);
    }
}
