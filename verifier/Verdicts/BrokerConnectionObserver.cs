using KcryptPush.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Verifier.Verdicts;

/// <summary>
/// Moves <see cref="BrokerConnectionClock"/> from the attestation queue's endpoint events: evidence
/// arrives there only, so the verifier can hear nodes exactly while that endpoint is ready. MassTransit
/// faults the endpoint when the broker connection drops and signals ready again once it has
/// reconnected and consumes, the same events its health check (<c>/readyz</c>) is made from.
/// </summary>
public sealed class BrokerConnectionObserver(BrokerConnectionClock clock, TimeProvider time, ILogger<BrokerConnectionObserver> log) : IReceiveEndpointObserver
{
    /// <inheritdoc/>
    public Task Ready(ReceiveEndpointReady ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (ready.IsStarted && IsAttestationQueue(ready.InputAddress) && clock.Connected(time.GetUtcNow().UtcDateTime))
        {
            log.LogInformation("Broker connected ({Queue} consuming) at {ConnectedSince:o}: silence counts again from {CountsFrom:o} (after an outage, the nodes get {Settle} to reconnect)", KcryptPushQueues.VerifierAttestation, clock.ConnectedSince, clock.CountsFrom, clock.Settle);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task Stopping(ReceiveEndpointStopping stopping) => Down(stopping, "stopping", null);

    /// <inheritdoc/>
    public Task Completed(ReceiveEndpointCompleted completed) => Down(completed, "stopped", null);

    /// <inheritdoc/>
    public Task Faulted(ReceiveEndpointFaulted faulted) => Down(faulted, "faulted", faulted?.Exception);

    private Task Down(ReceiveEndpointEvent e, string how, Exception? why)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (IsAttestationQueue(e.InputAddress) && clock.Disconnected())
        {
            log.LogWarning("Broker connection lost ({Queue} {How}: {Error}): the silence clock is paused until it is back", KcryptPushQueues.VerifierAttestation, how, why?.Message ?? "-");
        }

        return Task.CompletedTask;
    }

    /// <summary>True for the attestation queue's input address (rabbitmq://host/vhost/QUEUE: the last path segment is the queue).</summary>
    internal static bool IsAttestationQueue(Uri? inputAddress) =>
        inputAddress is { } a && a.AbsolutePath.TrimEnd('/').EndsWith("/" + KcryptPushQueues.VerifierAttestation, StringComparison.Ordinal);
}
