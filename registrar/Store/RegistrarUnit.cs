namespace KcryptPush.Registrar.Store;

/// <summary>
/// What one <see cref="IRegistrarUnit"/> of either store does the same way: it keeps its writes in
/// memory (<see cref="RegistrarUnitWrites"/>) and hands them to the store at <see cref="Commit"/>, which
/// applies them in one transaction. It remembers which challenges it read unused, so the store can
/// make consuming one a guarded update.
/// </summary>
internal abstract class RegistrarUnit : IRegistrarUnit
{
    private readonly Dictionary<Guid, bool> _readUsed = [];
    private bool _done;
    private bool _committed;

    protected RegistrarUnit(string tpmHash)
    {
        TpmHash = tpmHash;
    }

    public string TpmHash { get; }

    public NodeRecord? Node { get; protected set; }

    /// <summary>The writes so far.</summary>
    protected RegistrarUnitWrites Writes { get; } = new();

    public ChallengeRecord? FindChallenge(Guid id)
    {
        if (Writes.Challenges.TryGetValue(id, out ChallengeWrite? mine))
        {
            return mine.Challenge;
        }

        ChallengeRecord? read = ReadChallenge(id);
        if (read is null || !string.Equals(read.TpmHash, TpmHash, StringComparison.Ordinal))
        {
            return null;
        }

        _readUsed[id] = read.UsedAt is not null;
        return read;
    }

    public void PutChallenge(ChallengeRecord challenge)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        Own(challenge.TpmHash);
        if (Writes.Challenges.TryGetValue(challenge.Id, out ChallengeWrite? earlier))
        {
            Writes.Challenges[challenge.Id] = earlier with { Challenge = challenge };
            return;
        }

        Writes.Challenges[challenge.Id] = _readUsed.TryGetValue(challenge.Id, out bool used)
            ? new ChallengeWrite(challenge, Insert: false, ReadUnused: !used)
            : new ChallengeWrite(challenge, Insert: true, ReadUnused: false);
    }

    public void SaveNode(NodeRecord node)
    {
        ArgumentNullException.ThrowIfNull(node);
        Own(node.TpmHash);
        Node = node;
        Writes.Node = node;
    }

    public void AddAudit(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        Own(entry.TpmHash);
        Writes.Audit.Add(entry);
    }

    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (_committed)
        {
            throw new InvalidOperationException($"the unit of {TpmHash} was committed already: begin another");
        }

        Apply(Writes);
        _committed = true;
        Writes.Clear();
    }

    public void Dispose()
    {
        if (_done)
        {
            return;
        }

        _done = true;
        Release();
    }

    /// <summary>Applies <paramref name="writes"/> in one transaction, or throws writing nothing.</summary>
    protected abstract void Apply(RegistrarUnitWrites writes);

    /// <summary>Ends the unit: rolls back what was not committed and releases the node.</summary>
    protected abstract void Release();

    /// <summary>Reads a challenge under the node's lock.</summary>
    protected abstract ChallengeRecord? ReadChallenge(Guid id);

    /// <summary>The message of a guarded write that found the challenge changed.</summary>
    internal static string ConflictMessageOf(ChallengeWrite w) => w.Insert
        ? $"challenge {w.Challenge.Id} exists already"
        : $"challenge {w.Challenge.Id} was used by another unit after this one read it";

    // A record of another node written here would escape that node's lock.
    private void Own(string tpmHash)
    {
        if (!string.Equals(tpmHash, TpmHash, StringComparison.Ordinal))
        {
            throw new ArgumentException($"a record of node {tpmHash} written in the unit of node {TpmHash}");
        }
    }
}

/// <summary>A challenge to write: inserted (a new id) or updated, guarded when the unit read it unused.</summary>
internal sealed record ChallengeWrite(ChallengeRecord Challenge, bool Insert, bool ReadUnused);

/// <summary>The writes of one unit, applied at commit in this order: challenges, node, audit.</summary>
internal sealed class RegistrarUnitWrites
{
    public Dictionary<Guid, ChallengeWrite> Challenges { get; } = [];

    public NodeRecord? Node { get; set; }

    public List<AuditEntry> Audit { get; } = [];

    public bool IsEmpty => Challenges.Count == 0 && Node is null && Audit.Count == 0;

    public void Clear()
    {
        Challenges.Clear();
        Node = null;
        Audit.Clear();
    }
}
