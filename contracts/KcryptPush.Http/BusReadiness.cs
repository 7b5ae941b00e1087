using MassTransit;

namespace KcryptPush.Http;

/// <summary>
/// What MassTransit says about the bus (<see cref="IBusControl.CheckHealth"/>: cheap, no network):
/// the broker counts as connected when at least one receive endpoint is connected and consuming,
/// since every endpoint shares the one connection and all of them fault together when it drops.
/// </summary>
public sealed class BusReadiness(IBusControl bus)
{
    /// <summary>The endpoints' states now.</summary>
    public BusHealthResult Health() => bus.CheckHealth();

    /// <summary>True when the service has a working connection to the broker.</summary>
    public bool BrokerConnected() => BrokerConnected(Health());

    /// <summary>True when at least one endpoint is healthy in <paramref name="health"/>.</summary>
    public static bool BrokerConnected(BusHealthResult health) =>
        health.Endpoints.Values.Any(e => e.Status == BusHealthStatus.Healthy);

    /// <summary>The endpoints that are not consuming.</summary>
    public static IEnumerable<string> StoppedEndpoints(BusHealthResult health) =>
        health.Endpoints.Where(e => e.Value.Status != BusHealthStatus.Healthy).Select(e => EndpointName(e.Key, e.Value));

    private static string EndpointName(string key, EndpointHealthResult e) =>
        e.ReceiveEndpoint?.InputAddress is { } a ? a.AbsolutePath.Trim('/') : key;
}

/// <summary><c>broker</c>: connected to the broker.</summary>
public sealed class BrokerReadinessCheck(BusReadiness bus) : IReadinessCheck
{
    /// <inheritdoc/>
    public string Name => "broker";

    /// <inheritdoc/>
    public ReadinessResult Check()
    {
        BusHealthResult health = bus.Health();
        return BusReadiness.BrokerConnected(health)
            ? ReadinessResult.Pass("connected")
            : ReadinessResult.Fail(health.Endpoints.Count == 0
                ? $"not connected: the bus has no receive endpoint yet ({health.Description})"
                : $"not connected: no receive endpoint is connected ({health.Description})");
    }
}

/// <summary><c>consumers</c>: every receive endpoint (queue) is connected and consuming.</summary>
public sealed class ConsumersReadinessCheck(BusReadiness bus) : IReadinessCheck
{
    /// <inheritdoc/>
    public string Name => "consumers";

    /// <inheritdoc/>
    public ReadinessResult Check()
    {
        BusHealthResult health = bus.Health();
        if (health.Endpoints.Count == 0)
        {
            return ReadinessResult.Fail("no receive endpoint started yet");
        }

        string[] stopped = BusReadiness.StoppedEndpoints(health).ToArray();
        return stopped.Length == 0
            ? ReadinessResult.Pass($"{health.Endpoints.Count} receive endpoints consuming")
            : ReadinessResult.Fail($"not consuming: {string.Join(", ", stopped)}");
    }
}
