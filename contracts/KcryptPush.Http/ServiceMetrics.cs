using System.Diagnostics.Metrics;

namespace KcryptPush.Http;

/// <summary>
/// The gauges both services export (meter <c>KcryptPush.Service</c>), read when scraped:
/// <c>kcrypt_push_broker_connected</c> (1/0) and <c>kcrypt_push_ready</c> (1/0, the /readyz verdict).
/// </summary>
public sealed class ServiceMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "KcryptPush.Service";

    private readonly Meter _meter = new(MeterName);

    /// <summary>Creates the gauges.</summary>
    public ServiceMetrics(BusReadiness bus, ReadinessProbe readiness)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(readiness);
        _meter.CreateObservableGauge("kcrypt_push_broker_connected", () => bus.BrokerConnected() ? 1 : 0,
            description: "1 when the service has a working broker connection (a receive endpoint is consuming), else 0");
        _meter.CreateObservableGauge("kcrypt_push_ready", () => readiness.Evaluate().Ready ? 1 : 0,
            description: "1 when every /readyz check passes, else 0");
    }

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();
}
