using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Verdicts;

/// <summary>
/// Silence is a finding (DESIGN.md "Flows"): a node that sent no evidence for
/// <see cref="VerifierOptions.SilentIntervals"/> intervals becomes Silent, once. A terminated node is
/// done: its silence is no alarm.
/// </summary>
public sealed class SilenceDetector(VerifierNodeStore nodes, AttestationStore store, VerifierOptions options, TimeProvider time)
{
    /// <summary>Marks newly silent nodes, stages their NodeSilent events in their records
    /// (<see cref="VerdictOutbox"/>) and returns them.</summary>
    public IReadOnlyList<NodeSilent> Scan()
    {
        DateTime now = time.GetUtcNow().UtcDateTime;
        TimeSpan limit = options.SilentIntervals * options.Interval;
        var events = new List<NodeSilent>();
        foreach (VerifierNode node in nodes.List())
        {
            lock (store.NodeGate(node.TpmHash))
            {
                NodeAttestation rec = store.GetOrNew(node.TpmHash, now);
                if (rec.State is NodeStates.Terminated or NodeStates.Silent)
                {
                    continue;
                }

                DateTime since = (rec.LastEvidenceAt ?? node.CreatedAt).ToUniversalTime();
                TimeSpan quiet = now - since;
                if (quiet < limit)
                {
                    continue;
                }

                string previous = rec.State;
                store.AddAudit(node.TpmHash, "verifier", "state", previous, NodeStates.Silent, now);
                rec.State = NodeStates.Silent;
                rec.StateSince = now;
                var silent = new NodeSilent(node.TpmHash, node.Hostname, rec.LastEvidenceAt is { } seen ? new DateTimeOffset(seen.ToUniversalTime(), TimeSpan.Zero) : null,
                    (int)Math.Min(int.MaxValue, quiet / options.Interval), previous, now);
                VerdictOutbox.Stage(rec, silent, now);
                store.Save(rec);
                events.Add(silent);
            }
        }

        return events;
    }
}
