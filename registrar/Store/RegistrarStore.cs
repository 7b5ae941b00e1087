using LiteDB;

namespace KcryptPush.Registrar.Store;

/// <summary>
/// The registrar's LiteDB file: collections <c>nodes</c> (enrolled records, keyed by TPM hash,
/// written only by a valid credential proof), <c>challenges</c> (pending enrolments: what a
/// proof would enrol), <c>audit</c> and <c>rejections</c> (a counter per reason code).
/// </summary>
/// <remarks>
/// The file is always opened with <c>Connection=shared</c>: LiteDB then opens the file per
/// operation under a machine-wide named mutex instead of holding it exclusively, so
/// <c>kcrypt-push-registrar nodes list</c> can read it while the service runs (the CLI opens it
/// shared and read-only). The cost is a file open per operation, negligible at enrolment rates.
/// Shared mode has no multi-statement transactions: callers serialise their read-modify-write
/// sequences (the enrolment service holds one lock per process, and one registrar process owns a
/// file).
/// </remarks>
public sealed class RegistrarStore : IDisposable
{
    private readonly LiteDatabase _db;

    private RegistrarStore(LiteDatabase db)
    {
        _db = db;
        Nodes = db.GetCollection<NodeRecord>("nodes");
        Challenges = db.GetCollection<ChallengeRecord>("challenges");
        AuditTrail = db.GetCollection<AuditEntry>("audit");
        Rejections = db.GetCollection<RejectionCount>("rejections");
    }

    private ILiteCollection<NodeRecord> Nodes { get; }

    private ILiteCollection<ChallengeRecord> Challenges { get; }

    private ILiteCollection<AuditEntry> AuditTrail { get; }

    private ILiteCollection<RejectionCount> Rejections { get; }

    /// <summary>Opens (creating if needed) the store for the service.</summary>
    public static RegistrarStore Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        var store = new RegistrarStore(new LiteDatabase(new ConnectionString
        {
            Filename = path,
            Connection = ConnectionType.Shared,
        }));
        store.Challenges.EnsureIndex(c => c.RegistrationId);
        store.Challenges.EnsureIndex(c => c.ExpiresAt);
        store.Challenges.EnsureIndex(c => c.TpmHash);
        store.AuditTrail.EnsureIndex(a => a.TpmHash);
        return store;
    }

    /// <summary>Opens an existing store read-only, shared with a running registrar (the CLI).</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static RegistrarStore OpenReadOnly(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"no registrar database at {path}", path);
        }

        return new RegistrarStore(new LiteDatabase(new ConnectionString
        {
            Filename = path,
            Connection = ConnectionType.Shared,
            ReadOnly = true,
        }));
    }

    /// <summary>The node with this TPM hash, if known.</summary>
    public NodeRecord? FindNode(string tpmHash) => Nodes.FindById(tpmHash);

    /// <summary>All nodes, ordered by TPM hash.</summary>
    public IReadOnlyList<NodeRecord> ListNodes() => Nodes.Query().OrderBy(n => n.TpmHash).ToList();

    /// <summary>Inserts or replaces a node.</summary>
    public void SaveNode(NodeRecord node) => Nodes.Upsert(node);

    /// <summary>A challenge by id.</summary>
    public ChallengeRecord? FindChallenge(Guid id) => Challenges.FindById(id);

    /// <summary>The unexpired, unused challenges (what the enrolment service keeps in memory for redeliveries).</summary>
    public IReadOnlyList<ChallengeRecord> ListOpenChallenges(DateTime nowUtc) =>
        Challenges.Find(c => c.ExpiresAt > nowUtc).Where(c => c.UsedAt == null).ToList();

    /// <summary>The TPM hashes of the enrolled nodes.</summary>
    public IReadOnlyList<string> ListEnrolledTpmHashes() =>
        Nodes.Find(n => n.State == NodeState.Enrolled).Select(n => n.TpmHash).ToList();

    /// <summary>
    /// The TPM hashes that registered but have no node record (never enrolled), each as a node in
    /// state <see cref="NodeState.Pending"/> built from its challenges: host name, EK and EK trust
    /// of the latest, first and last registration times, no AK (none is enrolled). Not stored:
    /// pending enrolments live in the challenges, which are deleted a day after they expire.
    /// </summary>
    public IReadOnlyList<NodeRecord> ListPendingNodes()
    {
        var enrolled = new HashSet<string>(Nodes.FindAll().Select(n => n.TpmHash), StringComparer.Ordinal);
        return Challenges.FindAll()
            .Where(c => !enrolled.Contains(c.TpmHash))
            .GroupBy(c => c.TpmHash, StringComparer.Ordinal)
            .Select(PendingNode)
            .OrderBy(n => n.TpmHash, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The pending node of <see cref="ListPendingNodes"/> for one TPM hash with no node record, if it registered.</summary>
    public NodeRecord? FindPendingNode(string tpmHash)
    {
        if (Nodes.FindById(tpmHash) is not null)
        {
            return null;
        }

        List<ChallengeRecord> challenges = Challenges.Find(c => c.TpmHash == tpmHash).ToList();
        return challenges.Count == 0 ? null : PendingNode(challenges);
    }

    /// <summary>Inserts or replaces a challenge.</summary>
    public void SaveChallenge(ChallengeRecord challenge) => Challenges.Upsert(challenge);

    /// <summary>
    /// Wipes the secrets of expired challenges and deletes challenges expired for longer than
    /// <paramref name="keep"/>. Returns the number deleted.
    /// </summary>
    public int PurgeChallenges(DateTime nowUtc, TimeSpan keep)
    {
        foreach (ChallengeRecord c in Challenges.Find(c => c.ExpiresAt <= nowUtc).Where(c => c.Secret.Length > 0).ToList())
        {
            c.Secret = [];
            Challenges.Update(c);
        }

        DateTime cutoff = nowUtc - keep;
        return Challenges.DeleteMany(c => c.ExpiresAt < cutoff);
    }

    /// <summary>Appends an audit entry.</summary>
    public void Audit(AuditEntry entry) => AuditTrail.Insert(entry);

    /// <summary>The audit trail of one node, oldest first.</summary>
    public IReadOnlyList<AuditEntry> AuditOf(string tpmHash) =>
        AuditTrail.Find(a => a.TpmHash == tpmHash).OrderBy(a => a.Id).ToList();

    /// <summary>Adds <paramref name="counts"/> (reason code → requests refused since the last call) to the stored counters.</summary>
    public void AddRejections(IReadOnlyDictionary<string, long> counts, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(counts);
        foreach ((string reason, long n) in counts)
        {
            RejectionCount c = Rejections.FindById(reason) ?? new RejectionCount { ReasonCode = reason, FirstAt = nowUtc };
            c.Count += n;
            c.LastAt = nowUtc;
            Rejections.Upsert(c);
        }
    }

    /// <summary>The stored rejection counters, by reason code.</summary>
    public IReadOnlyList<RejectionCount> RejectionCounts() => Rejections.FindAll().OrderBy(c => c.ReasonCode, StringComparer.Ordinal).ToList();

    /// <inheritdoc/>
    public void Dispose() => _db.Dispose();

    private static NodeRecord PendingNode(IEnumerable<ChallengeRecord> challenges)
    {
        List<ChallengeRecord> byTime = challenges.OrderBy(c => c.IssuedAt).ToList();
        ChallengeRecord latest = byTime[^1];
        return new NodeRecord
        {
            TpmHash = latest.TpmHash,
            EkPublic = latest.EkPublic,
            EkCertificate = latest.EkCertificate,
            EkTrust = latest.EkTrust,
            Hostname = latest.Hostname,
            State = NodeState.Pending,
            CreatedAt = byTime[0].IssuedAt,
            UpdatedAt = latest.IssuedAt,
        };
    }
}
