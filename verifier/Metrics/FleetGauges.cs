using System.Diagnostics.Metrics;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Store;
using KcryptPush.Verifier.Verdicts;

namespace KcryptPush.Verifier.Metrics;

/// <summary>
/// The verifier's gauges, read from the stores when Prometheus scrapes (never on the attestation
/// path): <c>kcrypt_push_nodes{state}</c> (every enrolled node by the state the verifier gives it,
/// Pending before its first attestation; Silent is one of the states),
/// <c>kcrypt_push_challenges_outstanding</c>, <c>kcrypt_push_verdict_events_owed</c> (the
/// outbox's backlog), <c>kcrypt_push_verdict_outbox_oldest_seconds</c> (0 when nothing is owed) and
/// <c>kcrypt_push_attestation_queue_lag_seconds</c> (from <see cref="AttestationQueueLag"/>, not the store).
/// One scrape reads the stores once: the store's gauges share a snapshot that lives a second.
/// </summary>
public sealed class FleetGauges
{
    private static readonly string[] States = [NodeStates.Pending, NodeStates.Trusted, NodeStates.Quarantined, NodeStates.Silent, NodeStates.Terminated];
    private static readonly TimeSpan SnapshotLifetime = TimeSpan.FromSeconds(1);

    private readonly IVerifierStore _store;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private Snapshot? _last;

    /// <summary>Creates the gauges on <paramref name="metrics"/>' meter.</summary>
    public FleetGauges(VerifierMetrics metrics, IVerifierStore store, TimeProvider time, AttestationQueueLag? queueLag = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _store = store;
        _time = time;
        metrics.Meter.CreateObservableGauge("kcrypt_push_nodes", ObserveNodes,
            description: "Enrolled nodes by state (Pending, Trusted, Quarantined, Silent, Terminated)");
        metrics.Meter.CreateObservableGauge("kcrypt_push_challenges_outstanding", () => metrics.Challenges.Outstanding(_time.GetUtcNow().UtcDateTime),
            description: "Challenges issued by this verifier process that are neither answered nor expired");
        metrics.Meter.CreateObservableGauge("kcrypt_push_verdict_events_owed", () => Current().Owed,
            description: "Verdict events staged in node records and not yet confirmed by the broker (the outbox's backlog)");
        metrics.Meter.CreateObservableGauge("kcrypt_push_verdict_outbox_oldest_seconds", () => Current().OldestOwedSeconds,
            description: "Age in seconds of the oldest verdict event still owed, 0 when none is");
        if (queueLag is not null)
        {
            metrics.Meter.CreateObservableGauge("kcrypt_push_attestation_queue_lag_seconds", () => queueLag.Current().TotalSeconds,
                description: "How long evidence waited in the verifier's attestation queue: the least wait (consume time minus sent time) of the quotes consumed in the last 5 s, 0 when none was; silence counts only up to now minus this wait");
        }
    }

    private IEnumerable<Measurement<long>> ObserveNodes()
    {
        Snapshot s = Current();
        foreach (string state in States)
        {
            yield return new Measurement<long>(s.ByState.GetValueOrDefault(state), new KeyValuePair<string, object?>("state", state));
        }
    }

    private Snapshot Current()
    {
        DateTime now = _time.GetUtcNow().UtcDateTime;
        lock (_gate)
        {
            if (_last is { } last && now - last.TakenAt < SnapshotLifetime)
            {
                return last;
            }

            _last = Take(now);
            return _last;
        }
    }

    private Snapshot Take(DateTime now)
    {
        // Counts kept by the store: a scrape does not read every node's documents.
        FleetCounts counts = _store.CountFleet();
        double age = counts.OldestOwed is { } t ? Math.Max(0, (now - t).TotalSeconds) : 0;
        return new Snapshot(now, counts.ByState, counts.Owed, age);
    }

    private sealed record Snapshot(DateTime TakenAt, IReadOnlyDictionary<string, long> ByState, long Owed, double OldestOwedSeconds);
}
