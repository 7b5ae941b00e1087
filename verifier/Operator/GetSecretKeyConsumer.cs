using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Verifier.Operator;

/// <summary>Answers <see cref="GetSecretKey"/> with the verifier's transport public key (<see cref="SecretKey"/>).</summary>
public sealed class GetSecretKeyConsumer(SecretTransportKey key) : IConsumer<GetSecretKey>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<GetSecretKey> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await context.RespondAsync(new SecretKey(key.PublicKey)).ConfigureAwait(false);
    }
}
