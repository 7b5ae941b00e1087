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
    /// time the verifier could hear evidence.
    /// </summary>
    public static IServiceCollection AddBrokerConnectionClock(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BrokerConnectionClock>();
        services.TryAddSingleton<BrokerConnectionProbe>();
        services.AddReceiveEndpointObserver<BrokerConnectionObserver>();
        return services;
    }
}
