using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Store;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Verifier.Verdicts;

/// <summary>
/// Publishes the verdict events staged in node records (<see cref="VerdictOutbox"/>): at start-up
/// every node that still holds some, then each node as it is notified. An event is removed from the
/// record only after the broker confirmed it (publisher confirms), so it is published at least once;
/// the events of one node go out in the order they were staged. While the broker is away the
/// service waits with capped backoff and tries again; nothing is dropped. When several verifiers share the
/// store, the one holding <see cref="ScanLease"/> also looks every <see cref="RescanPeriod"/> for events
/// another instance staged and did not publish (it was killed): they go out at least once, with their id.
/// </summary>
public sealed class VerdictOutboxService(
    VerdictOutbox outbox, IVerifierStore store, IBus bus, ILogger<VerdictOutboxService> log, ScanLease? lease = null) : BackgroundService
{
    /// <summary>How often the lease holder of a shared store looks for events other instances left.</summary>
    public TimeSpan RescanPeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one publish may wait for the broker's confirm before it counts as failed.</summary>
    public TimeSpan PublishTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>First pause after a failed publish; doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan MinRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap of the pause after failed publishes.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var due = new HashSet<string>(StringComparer.Ordinal);
        bool rescan = true;
        TimeSpan delay = MinRetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (rescan)
            {
                // After a start or a failure, the store (not memory) says what is still owed.
                due.UnionWith(store.NodesWithPendingVerdicts());
                rescan = false;
            }

            while (outbox.Notified.TryRead(out string? hash))
            {
                due.Add(hash);
            }

            if (due.Count == 0)
            {
                if (!await NotifiedWithin(store.Shared ? RescanPeriod : Timeout.InfiniteTimeSpan, stoppingToken).ConfigureAwait(false))
                {
                    rescan = lease?.Held ?? false;
                }

                continue;
            }

            try
            {
                foreach (string hash in due.ToArray())
                {
                    await PublishPendingAsync(hash, stoppingToken).ConfigureAwait(false);
                    due.Remove(hash);
                }

                delay = MinRetryDelay;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning("Publishing verdict events failed ({Reason}); {Nodes} node(s) still owed, retrying in {Delay:0.0}s",
                    e.Message.ReplaceLineEndings(" "), due.Count, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
                rescan = true;
            }
        }
    }

    private async Task<bool> NotifiedWithin(TimeSpan period, CancellationToken stoppingToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        wait.CancelAfter(period);
        try
        {
            await outbox.Notified.WaitToReadAsync(wait.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

        private async Task PublishPendingAsync(string tpmHash, CancellationToken stoppingToken)
    {
        if (store.FindAttestation(tpmHash)?.PendingVerdicts is not { Count: > 0 } pending)
        {
            return;
        }

        foreach (PendingVerdict p in pending)
        {
            INodeVerdict verdict;
            try
            {
                verdict = VerdictOutbox.Read(p);
            }
            catch (InvalidDataException e)
            {
                // Kept in the record for an operator to see; publishing later events of the node
                // before it would reorder them, so the node's queue stops here.
                log.LogError("Verdict event {Id} of {Node} cannot be published: {Reason}", p.Id, tpmHash, e.Message);
                return;
            }

            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                timeout.CancelAfter(PublishTimeout);
                await VerdictPublisher.Publish(bus, verdict, p.Id, timeout.Token).ConfigureAwait(false);
            }

            using (IVerifierUnit unit = store.BeginNode(tpmHash))
            {
                if (unit.Attestation is { } current && current.PendingVerdicts.RemoveAll(x => x.Id == p.Id) > 0)
                {
                    unit.Save(current);
                    unit.Commit();
                }
            }

            log.LogInformation("Published {Verdict} for {Node} ({Id})", p.Type, tpmHash, p.Id);
        }
    }
}
