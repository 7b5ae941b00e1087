using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Enrolment;

namespace KcryptPush.Verifier.Store;

/// <summary>
/// What the fleet-wide readers need of each node, kept in memory by the LiteDB store: enrolled or not,
/// its enrolment time, state, last evidence and owed verdict events. One process holds a LiteDB file
/// (direct mode), so every write passes through that store, which applies each committed unit here; the
/// silence scan, the gauges and the outbox then read this instead of every document of the fleet (at
/// 100,000 nodes a scan every 30 s materialised 200,000 documents). Built once from the file on first
/// use. Thread-safe.
/// </summary>
internal sealed class LiteDbFleetIndex
{
    private readonly Dictionary<string, Entry> _nodes = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Loads the index from what the file holds now (the caller keeps writers out meanwhile).</summary>
    public LiteDbFleetIndex(IEnumerable<VerifierNode> nodes, IEnumerable<NodeAttestation> records)
    {
        foreach (VerifierNode n in nodes)
        {
            Node(n);
        }

        foreach (NodeAttestation r in records)
        {
            Record(r);
        }
    }

    /// <summary>A node's enrolment was written.</summary>
    public void Node(VerifierNode node)
    {
        lock (_gate)
        {
            Entry e = Get(node.TpmHash);
            e.Enrolled = true;
            e.CreatedAt = node.CreatedAt.ToUniversalTime();
        }
    }

    /// <summary>A node's attestation record was written.</summary>
    public void Record(NodeAttestation record)
    {
        lock (_gate)
        {
            Entry e = Get(record.TpmHash);
            e.State = record.State;
            e.LastEvidenceAt = record.LastEvidenceAt?.ToUniversalTime();
            e.Owed = record.PendingVerdicts?.Count ?? 0;
            e.OldestOwed = record.PendingVerdicts is { Count: > 0 } p ? p.Min(v => v.CreatedAt.ToUniversalTime()) : null;
        }
    }

    /// <summary>A node and its records were deleted.</summary>
    public void Delete(string tpmHash)
    {
        lock (_gate)
        {
            _nodes.Remove(tpmHash);
        }
    }

    /// <summary>See <see cref="IVerifierStore.QuietNodes"/>.</summary>
    public IReadOnlyList<QuietNode> QuietNodes(DateTime heardUntilUtc)
    {
        var quiet = new List<QuietNode>();
        lock (_gate)
        {
            foreach ((string tpmHash, Entry e) in _nodes)
            {
                if (!e.Enrolled || e.State is NodeStates.Silent or NodeStates.Terminated)
                {
                    continue;
                }

                DateTime heard = e.LastEvidenceAt ?? e.CreatedAt;
                if (heard <= heardUntilUtc)
                {
                    quiet.Add(new QuietNode(tpmHash, heard));
                }
            }
        }

        return quiet;
    }

    /// <summary>See <see cref="IVerifierStore.CountFleet"/>.</summary>
    public FleetCounts Count()
    {
        var byState = new Dictionary<string, long>(StringComparer.Ordinal);
        long owed = 0;
        DateTime? oldest = null;
        lock (_gate)
        {
            foreach (Entry e in _nodes.Values)
            {
                if (e.Enrolled)
                {
                    string state = e.State ?? NodeStates.Pending;
                    byState[state] = byState.GetValueOrDefault(state) + 1;
                }

                owed += e.Owed;
                oldest = e.OldestOwed is { } o && (oldest is null || o < oldest) ? o : oldest;
            }
        }

        return new FleetCounts(byState, owed, oldest);
    }

    /// <summary>See <see cref="IVerifierStore.NodesWithPendingVerdicts"/>.</summary>
    public IReadOnlyList<string> NodesWithPendingVerdicts()
    {
        lock (_gate)
        {
            return [.. _nodes.Where(n => n.Value.Owed > 0).Select(n => n.Key)];
        }
    }

    private Entry Get(string tpmHash)
    {
        if (!_nodes.TryGetValue(tpmHash, out Entry? e))
        {
            e = new Entry();
            _nodes[tpmHash] = e;
        }

        return e;
    }

    private sealed class Entry
    {
        public bool Enrolled { get; set; }

        public DateTime CreatedAt { get; set; }

        // null: no attestation record (Pending).
        public string? State { get; set; }

        public DateTime? LastEvidenceAt { get; set; }

        public int Owed { get; set; }

        public DateTime? OldestOwed { get; set; }
    }
}
