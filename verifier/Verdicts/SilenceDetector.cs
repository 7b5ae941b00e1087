using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Nodes;
using KcryptPush.Verifier.Store;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Verifier.Verdicts;

/// <summary>
/// Silence is a finding (DESIGN.md "Flows"): a node that sent no evidence for
/// <see cref="VerifierOptions.SilentIntervals"/> intervals becomes Silent, once. A terminated node is
/// done: its silence is no alarm. Only time the verifier could hear the node counts
/// (<see cref="SilenceRule"/>): while the <c>connection</c> clock is down nothing is marked, and after
/// it comes up (or the verifier starts) its settle time and a full threshold must pass again. Without a
/// clock the broker counts as always connected. Silence counts only up to what the verifier has heard:
/// now minus the wait of evidence in its own queue (<paramref name="queueLag"/>, capped at the threshold;
/// without a tracker, no wait), so an overloaded verifier does not report nodes whose quotes are in its backlog.
/// </summary>
public sealed class SilenceDetector(
    IVerifierStore store, VerifierOptions options, TimeProvider time, BrokerConnectionClock? connection = null,
    AttestationQueueLag? queueLag = null, ILogger<SilenceDetector>? log = null)
{
    private readonly BrokerConnectionClock _connection = connection ?? BrokerConnectionClock.AlwaysConnected;
    private readonly NodeStateMachine _states = new(options.RelearnsPerDay);

    /// <summary>Marks newly silent nodes, stages their NodeSilent events in their records
    /// (<see cref="VerdictOutbox"/>) and returns them.</summary>
    public IReadOnlyList<NodeSilent> Scan()
    {
        DateTime now = time.GetUtcNow().UtcDateTime;
        TimeSpan limit = options.SilentIntervals * options.Interval;
        var events = new List<NodeSilent>();
        if (_connection.CountsFrom is null)
        {
            return events;
        }

        TimeSpan lag = queueLag?.Current(now) ?? TimeSpan.Zero;
        if (lag >= options.Interval)
        {
            // A verifier this far behind is news on its own; past the threshold it is also reporting
            // silence late (by up to one threshold).
            log?.LogWarning("Evidence waits {QueueLagSeconds:0.0} s in the verifier's queue: silence counts up to {AllowanceSeconds:0.0} s ago (at most the threshold, {ThresholdSeconds:0.0} s)",
                lag.TotalSeconds, SilenceRule.BacklogAllowance(lag, limit).TotalSeconds, limit.TotalSeconds);
        }

        // Only nodes last heard a full limit ago can be silent (the allowance only shortens what counts):
        // the store finds them without reading every node's documents (at 100,000 nodes, 200,000
        // documents a scan).
        foreach (QuietNode candidate in store.QuietNodes(now - limit))
        {
            // Judged without the node's unit first: a unit per candidate per scan would lock nodes that
            // the connection clock excuses. A node without a record yet (enrolled, never attested) is
            // judged by its enrolment here too: opening a unit for each of them made every scan cost one
            // store unit per such node (100,000 units a scan on a freshly loaded fleet).
            if (!SilenceRule.IsSilent(now, candidate.LastHeard, _connection.CountsFrom, limit, lag))
            {
                continue;
            }

            using IVerifierUnit unit = store.BeginNode(candidate.TpmHash);
            if (unit.Node is not { } node)
            {
                continue; // deleted meanwhile
            }

            NodeAttestation rec = unit.GetOrNewAttestation(now);
            // Asked again inside the unit: the connection may have dropped since the scan began.
            DateTime since = (rec.LastEvidenceAt ?? node.CreatedAt).ToUniversalTime();
            if (!SilenceRule.IsSilent(now, since, _connection.CountsFrom, limit, lag))
            {
                continue;
            }

            int quiet = (int)Math.Min(int.MaxValue, (now - since) / options.Interval);
            NodeTransition t = _states.Decide(rec, node.Hostname, new SilenceDetected(quiet), now);
            if (t.Verdict is not NodeSilent silent)
            {
                continue; // Terminated is final, and silence is reported once
            }

            NodeTransitionWriter.Write(unit, rec, t, now);
            unit.Commit();
            events.Add(silent);
        }

        return events;
    }
}
