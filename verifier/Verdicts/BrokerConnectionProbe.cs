using KcryptPush.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Verifier.Verdicts;

/// <summary>
/// A second source for <see cref="BrokerConnectionClock"/>: MassTransit's health of the attestation
/// queue (<see cref="IBusControl.CheckHealth"/>, no network), read before each silence scan. The
/// observer's events are exact; this makes a missed event heal within a tick instead of leaving the
/// clock down forever (no node would ever be reported silent) or up through an outage. Either mistake
/// it corrects is safe for that tick: "up since now" cannot make a node silent before a full threshold.
/// </summary>
public sealed class BrokerConnectionProbe(IBusControl bus, BrokerConnectionClock clock, TimeProvider time, ILogger<BrokerConnectionProbe> log)
{
    /// <summary>Moves the clock to what the bus's health says, when that differs; returns that state (null: the queue is not known yet).</summary>
    public bool? Reconcile()
    {
        bool? healthy = AttestationQueueHealthy(bus.CheckHealth());
        if (healthy == true && clock.Connected(time.GetUtcNow().UtcDateTime))
        {
            log.LogWarning("Broker connected ({Queue} healthy) without a ready event: silence counts again from {CountsFrom:o}", KcryptPushQueues.VerifierAttestation, clock.CountsFrom);
        }
        else if (healthy == false && clock.Disconnected())
        {
            log.LogWarning("Broker connection lost ({Queue} not healthy) without a fault event: the silence clock is paused until it is back", KcryptPushQueues.VerifierAttestation);
        }

        return healthy;
    }

    /// <summary>True when the attestation queue's endpoint is healthy, false when it is unhealthy, null when the bus has no such
    /// endpoint or calls it degraded (no opinion: a steady "degraded" must not pause silence for good).</summary>
    public static bool? AttestationQueueHealthy(BusHealthResult health)
    {
        ArgumentNullException.ThrowIfNull(health);
        foreach ((string key, EndpointHealthResult endpoint) in health.Endpoints)
        {
            if (BrokerConnectionObserver.IsAttestationQueue(endpoint.ReceiveEndpoint?.InputAddress) || key == KcryptPushQueues.VerifierAttestation)
            {
                return endpoint.Status switch
                {
                    BusHealthStatus.Healthy => true,
                    BusHealthStatus.Unhealthy => false,
                    _ => null,
                };
            }
        }

        return null;
    }
}
