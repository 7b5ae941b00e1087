using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KcryptPush.Verifier.Verdicts;

/// <summary>Wiring for the broker connection clock (called from the verifier's host setup).</summary>
public static class BrokerConnectionRegistration
{
    /// <summary>
    /// Registers <see cref="BrokerConnectionClock"/> (down until the attestation queue consumes) and
    /// <see cref="BrokerConnectionObserver"/> on the bus (and <see cref="BrokerConnectionProbe"/> for each scan), so <see cref="SilenceDetector"/> counts only
    /// time the verifier could hear evidence, and <see cref="AttestationQueueLag"/> (fed by the QuoteSubmitted
    /// consumer) so it counts only up to what the verifier has heard.
    /// </summary>
    public static IServiceCollection AddBrokerConnectionClock(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BrokerConnectionClock>();
        services.TryAddSingleton<BrokerConnectionProbe>();
        services.TryAddSingleton(sp => new AttestationQueueLag(sp.GetRequiredService<TimeProvider>()));
        services.AddReceiveEndpointObserver<BrokerConnectionObserver>();
        return services;
    }
}
