using KcryptPush.Verifier.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Verifier.Operator;

/// <summary>
/// Loads (or on first start generates) the secret transport key when the service starts, so a bad
/// key file stops the start, and seals any secret still stored in plaintext (written by a verifier
/// from before secrets were sealed at rest).
/// </summary>
public sealed class SecretKeyStartup(SecretTransportKey key, IVerifierStore store, ILogger<SecretKeyStartup> log) : IHostedService
{
    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        log.LogInformation("Secret transport key {Path} (ECDH P-256), fingerprint {Fingerprint}", key.Path, key.Fingerprint);
        int sealedCount = store.SealPlaintextSecrets();
        if (sealedCount > 0)
        {
            log.LogWarning("Sealed {Count} secret(s) that verifier.db held in plaintext", sealedCount);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
