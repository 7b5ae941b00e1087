using MassTransit;

namespace KcryptPush.Http;

/// <summary>The service's receive endpoints (queues) and their health, with the bus's description.</summary>
public sealed record QueueHealth(string Description, IReadOnlyDictionary<string, EndpointHealthResult> Queues);

/// <summary>
/// What MassTransit says about the bus (<see cref="IBusControl.CheckHealth"/>: cheap, no network):
/// the broker counts as connected when at least one of the service's queues is connected and
/// consuming, since they share the one connection and all fault together when it drops. The bus's
/// own temporary endpoint is left out: it stays "healthy" while the broker is away (seen with
/// MassTransit 8.5 over 30 s of a stopped broker).
/// </summary>
public sealed class BusReadiness(IBusControl bus)
{
    /// <summary>The queues' states now.</summary>
    public QueueHealth Health()
    {
        BusHealthResult health = bus.CheckHealth();
        Uri own = bus.Address;
        return new QueueHealth(health.Description,
            health.Endpoints.Where(e => e.Value.ReceiveEndpoint?.InputAddress != own).ToDictionary(e => e.Key, e => e.Value));
    }

    /// <summary>True when the service has a working connection to the broker.</summary>
    public bool BrokerConnected() => BrokerConnected(Health());

    /// <summary>True when at least one queue is consuming in <paramref name="health"/>.</summary>
    public static bool BrokerConnected(QueueHealth health) =>
        health?.Queues.Values.Any(e => e.Status == BusHealthStatus.Healthy) ?? false;

    /// <summary>The queues that are not consuming.</summary>
    public static IEnumerable<string> StoppedEndpoints(QueueHealth health) =>
        health?.Queues.Where(e => e.Value.Status != BusHealthStatus.Healthy).Select(e => EndpointName(e.Key, e.Value)) ?? [];

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
        QueueHealth health = bus.Health();
        return BusReadiness.BrokerConnected(health)
            ? ReadinessResult.Pass("connected")
            : ReadinessResult.Fail(health.Queues.Count == 0
                ? $"not connected: no queue has started yet ({health.Description})"
                : $"not connected: no queue is consuming ({health.Description})");
    }
}

/// <summary><c>consumers</c>: every queue of the service is connected and consuming.</summary>
public sealed class ConsumersReadinessCheck(BusReadiness bus) : IReadinessCheck
{
    /// <inheritdoc/>
    public string Name => "consumers";

    /// <inheritdoc/>
    public ReadinessResult Check()
    {
        QueueHealth health = bus.Health();
        if (health.Queues.Count == 0)
        {
            return ReadinessResult.Fail("no queue has started yet");
        }

        string[] stopped = BusReadiness.StoppedEndpoints(health).ToArray();
        return stopped.Length == 0
            ? ReadinessResult.Pass($"{health.Queues.Count} queues consuming")
            : ReadinessResult.Fail($"not consuming: {string.Join(", ", stopped)}");
    }
}
