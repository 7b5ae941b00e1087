using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Verifier.Operator;

/// <summary>Loads (or on first start generates) the secret transport key when the service starts, so a bad key file stops the start.</summary>
public sealed class SecretKeyStartup(SecretTransportKey key, ILogger<SecretKeyStartup> log) : IHostedService
{
    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        log.LogInformation("Secret transport key {Path} (ECDH P-256)", key.Path);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
