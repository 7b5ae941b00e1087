using KcryptPush.Verifier.Enrolment;

namespace KcryptPush.Verifier.Store;

/// <summary>
/// What one <see cref="IVerifierUnit"/> of either store does the same way: it keeps its writes in
/// memory (<see cref="UnitWrites"/>) and hands them to the store at <see cref="Commit"/>, which applies
/// them in one transaction in a fixed order. Keeping writes until the commit also keeps the
/// transaction (and, in LiteDB, the collection write locks) as short as the commit itself.
/// </summary>
internal abstract class NodeUnit : IVerifierUnit
{
    private readonly VerifierStoreOptions _options;
    private bool _done;
    private bool _committed;

    protected NodeUnit(string tpmHash, VerifierStoreOptions options)
    {
        TpmHash = tpmHash;
        _options = options;
    }

    public string TpmHash { get; }

    public VerifierNode? Node { get; protected set; }

    public NodeAttestation? Attestation { get; protected set; }

    /// <summary>The writes so far.</summary>
    protected UnitWrites Writes { get; } = new();

    public NodeAttestation GetOrNewAttestation(DateTime nowUtc) =>
        Attestation ??= new NodeAttestation { TpmHash = TpmHash, State = Contracts.V1.NodeStates.Pending, StateSince = nowUtc, CreatedAt = nowUtc };

    public void Save(NodeAttestation record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Own(record.TpmHash);
        Attestation = record;
        Writes.Attestation = record;
    }

    public void SaveNode(VerifierNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        Own(node.TpmHash);
        Node = node;
        Writes.Node = node;
    }

    public void AddEnrolmentEvent(VerifierEnrolmentEvent enrolmentEvent)
    {
        ArgumentNullException.ThrowIfNull(enrolmentEvent);
        Own(enrolmentEvent.TpmHash);
        Writes.EnrolmentEvents.Add(enrolmentEvent);
    }

    public ChallengeRecord? FindChallenge(Guid id) =>
        Writes.Challenges.TryGetValue(id, out ChallengeRecord? mine) ? mine : Writes.Deleted ? null : ReadChallenge(id);

    public void PutChallenge(ChallengeRecord challenge)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        Own(challenge.TpmHash);
        Writes.Challenges[challenge.Id] = challenge;
    }

    public void AddHistory(HistoryRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Own(record.TpmHash);
        Writes.History.Add(record);
    }

    public void AddAudit(string actor, string what, string? oldValue, string? newValue, DateTime nowUtc) =>
        Writes.Audit.Add(new AuditRecord { TpmHash = TpmHash, Actor = actor, What = what, OldValue = oldValue, NewValue = newValue, At = nowUtc });

    public EventLogRecord? FindLog(ReadOnlySpan<byte> sha256)
    {
        string id = LogId(TpmHash, sha256);
        return Writes.Logs.TryGetValue(id, out EventLogRecord? mine) ? mine : Writes.Deleted ? null : ReadLog(id);
    }

    public void StoreLog(byte[] sha256, byte[] log, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        ArgumentNullException.ThrowIfNull(log);
        string id = LogId(TpmHash, sha256);
        Writes.Logs[id] = new EventLogRecord { Id = id, TpmHash = TpmHash, Sha256 = sha256, Log = log, LastUsedAt = nowUtc };
    }

    public void TouchLog(EventLogRecord record, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(record);
        Own(record.TpmHash);
        if (nowUtc.ToUniversalTime() - record.LastUsedAt.ToUniversalTime() < _options.LogTouchInterval)
        {
            return;
        }

        record.LastUsedAt = nowUtc;
        if (!Writes.Logs.ContainsKey(record.Id))
        {
            Writes.TouchedLogs[record.Id] = nowUtc;
        }
    }

    public void SetSecret(string label, byte[] value, string actor, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(value);
        SecretAtRestKey key = RequireSecretKey(_options);
        string id = SecretId(TpmHash, label);
        bool existed = Writes.Secrets.ContainsKey(id) || (!Writes.Deleted && ReadSecret(id) is not null);
        var record = new SecretRecord { Id = id, TpmHash = TpmHash, Label = label, SetAt = nowUtc };
        key.Seal(record, value);
        Writes.Secrets[id] = record;
        AddAudit(actor, $"secret {label}", existed ? "set" : null, "set", nowUtc);
    }

    public bool DeleteNode(string actor, DateTime nowUtc)
    {
        bool existed = Node is not null || Attestation is not null;
        Writes.ForgetNode();
        Node = null;
        Attestation = null;
        AddAudit(actor, "node", existed ? "present" : null, "deleted", nowUtc);
        return existed;
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

    /// <summary>Applies <paramref name="writes"/> in one transaction (or throws, writing nothing).</summary>
    protected abstract void Apply(UnitWrites writes);

    /// <summary>Ends the unit: rolls back what was not committed and releases the node.</summary>
    protected abstract void Release();

    protected abstract ChallengeRecord? ReadChallenge(Guid id);

    protected abstract EventLogRecord? ReadLog(string id);

    protected abstract SecretRecord? ReadSecret(string id);

    /// <summary>The id of a node's log: <c>TpmHash:hex SHA-256</c> (LiteDB collection <c>event_logs</c>).</summary>
    public static string LogId(string tpmHash, ReadOnlySpan<byte> sha256) => tpmHash + ":" + Convert.ToHexStringLower(sha256);

    /// <summary>The id of a secret: <c>TpmHash ‖ "\n" ‖ Label</c> (LiteDB collection <c>secrets</c>).</summary>
    public static string SecretId(string tpmHash, string label) => tpmHash + "\n" + label;

    public static SecretAtRestKey RequireSecretKey(VerifierStoreOptions options) => options.SecretKey
        ?? throw new InvalidOperationException("this store was opened without the secret key (verifier.secret-key): secrets cannot be set or read");

    /// <summary>The plaintext of a stored secret (a record from before sealing at rest is returned as stored).</summary>
    public static byte[]? Open(VerifierStoreOptions options, SecretRecord? record)
    {
        SecretAtRestKey key = RequireSecretKey(options);
        return record is null ? null : record.IsSealed ? key.Open(record) : (byte[])record.Value.Clone();
    }

    private void Own(string tpmHash)
    {
        if (!string.Equals(tpmHash, TpmHash, StringComparison.Ordinal))
        {
            throw new ArgumentException($"a record of node {tpmHash} written in the unit of node {TpmHash}");
        }
    }
}

/// <summary>The writes of one unit, applied at commit in this order: deletion, node, enrolment events,
/// attestation record, challenges, logs, secrets, history, audit.</summary>
internal sealed class UnitWrites
{
    public bool Deleted { get; private set; }

    public VerifierNode? Node { get; set; }

    public NodeAttestation? Attestation { get; set; }

    public List<VerifierEnrolmentEvent> EnrolmentEvents { get; } = [];

    public Dictionary<Guid, ChallengeRecord> Challenges { get; } = [];

    public Dictionary<string, EventLogRecord> Logs { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, DateTime> TouchedLogs { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, SecretRecord> Secrets { get; } = new(StringComparer.Ordinal);

    public List<HistoryRecord> History { get; } = [];

    public List<AuditRecord> Audit { get; } = [];

    public bool IsEmpty => !Deleted && Node is null && Attestation is null && EnrolmentEvents.Count == 0 && Challenges.Count == 0
        && Logs.Count == 0 && TouchedLogs.Count == 0 && Secrets.Count == 0 && History.Count == 0 && Audit.Count == 0;

    /// <summary>A deletion drops the node's writes so far (its audit stays).</summary>
    public void ForgetNode()
    {
        Deleted = true;
        Node = null;
        Attestation = null;
        Challenges.Clear();
        Logs.Clear();
        TouchedLogs.Clear();
        Secrets.Clear();
        History.Clear();
    }

    public void Clear()
    {
        Deleted = false;
        Node = null;
        Attestation = null;
        EnrolmentEvents.Clear();
        Challenges.Clear();
        Logs.Clear();
        TouchedLogs.Clear();
        Secrets.Clear();
        History.Clear();
        Audit.Clear();
    }
}
