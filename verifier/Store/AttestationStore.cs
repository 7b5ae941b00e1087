using System.Collections.Concurrent;
using KcryptPush.Contracts.V1;
using LiteDB;

namespace KcryptPush.Verifier.Store;

/// <summary>
/// The attestation records in verifier.db (LiteDB shared mode, like verifier/Enrolment's node store,
/// so operator commands can read the file while the service runs): node state and policy,
/// challenges, bounded history, audit trail, secrets and the event logs nodes sent.
/// Read-modify-write of one node happens under <see cref="NodeGate"/>, so the pipeline and operator
/// commands never lose each other's changes.
/// </summary>
public sealed class AttestationStore : IDisposable
{
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<NodeAttestation> _nodes;
    private readonly ILiteCollection<ChallengeRecord> _challenges;
    private readonly ILiteCollection<HistoryRecord> _history;
    private readonly ILiteCollection<AuditRecord> _audit;
    private readonly ILiteCollection<SecretRecord> _secrets;
    private readonly ILiteCollection<EventLogRecord> _logs;
    private readonly ConcurrentDictionary<string, Lock> _gates = new(StringComparer.Ordinal);

    /// <summary>Opens (creating if needed) the file.</summary>
    public AttestationStore(string path, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!readOnly && Path.GetDirectoryName(Path.GetFullPath(path)) is { Length: > 0 } dir)
        {
            Directory.CreateDirectory(dir);
        }

        _db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Shared, ReadOnly = readOnly });
        _nodes = _db.GetCollection<NodeAttestation>("node_attestation");
        _challenges = _db.GetCollection<ChallengeRecord>("challenges");
        _history = _db.GetCollection<HistoryRecord>("attestation_history");
        _audit = _db.GetCollection<AuditRecord>("attestation_audit");
        _secrets = _db.GetCollection<SecretRecord>("secrets");
        _logs = _db.GetCollection<EventLogRecord>("event_logs");
        if (!readOnly)
        {
            _history.EnsureIndex(h => h.TpmHash);
            _audit.EnsureIndex(a => a.TpmHash);
            _secrets.EnsureIndex(s => s.TpmHash);
            _logs.EnsureIndex(l => l.TpmHash);
            _challenges.EnsureIndex(c => c.ExpiresAt);
        }
    }

    /// <summary>How many history records are kept per node (default 100).</summary>
    public int HistoryLength { get; init; } = 100;

    /// <summary>The key secrets are sealed under; without it, secrets can be listed by label but not set or read.</summary>
    public SecretAtRestKey? SecretKey { get; init; }

    /// <summary>How many event logs are kept per node (default 4).</summary>
    public int LogsPerNode { get; init; } = 4;

    /// <summary>The lock under which one node's records are read, changed and written.</summary>
    public Lock NodeGate(string tpmHash) => _gates.GetOrAdd(tpmHash, _ => new Lock());

    // ---- nodes ----

    /// <summary>The node's attestation record, if any.</summary>
    public NodeAttestation? Find(string tpmHash) => _nodes.FindById(tpmHash);

    /// <summary>The node's record, created Pending when absent (not yet saved).</summary>
    public NodeAttestation GetOrNew(string tpmHash, DateTime nowUtc) =>
        _nodes.FindById(tpmHash) ?? new NodeAttestation { TpmHash = tpmHash, State = NodeStates.Pending, StateSince = nowUtc, CreatedAt = nowUtc };

    /// <summary>Inserts or replaces the record.</summary>
    public void Save(NodeAttestation node)
    {
        ArgumentNullException.ThrowIfNull(node);
        _nodes.Upsert(node);
    }

    /// <summary>The nodes whose records hold verdicts the broker has not confirmed (read at start-up
    /// and after a failed publish, not per message).</summary>
    public IReadOnlyList<string> NodesWithPendingVerdicts() =>
        _nodes.FindAll().Where(n => n.PendingVerdicts is { Count: > 0 }).Select(n => n.TpmHash).ToList();

    /// <summary>Every node's attestation record.</summary>
    public IReadOnlyList<NodeAttestation> All() => _nodes.FindAll().ToList();

    /// <summary>Forgets everything about a node (policy, state, secrets, history, logs, challenges); the audit stays.</summary>
    public bool Delete(string tpmHash, string actor, DateTime nowUtc)
    {
        lock (NodeGate(tpmHash))
        {
            bool existed = _nodes.Delete(tpmHash);
            _secrets.DeleteMany(s => s.TpmHash == tpmHash);
            _history.DeleteMany(h => h.TpmHash == tpmHash);
            _logs.DeleteMany(l => l.TpmHash == tpmHash);
            _challenges.DeleteMany(c => c.TpmHash == tpmHash);
            AddAudit(tpmHash, actor, "node", existed ? "present" : null, "deleted", nowUtc);
            return existed;
        }
    }

    // ---- operator policy edits ----

    /// <summary>
    /// Sets one PCR's policy: <see cref="PolicyModes.Enforce"/> with a hex value, <see cref="PolicyModes.Learn"/>
    /// (accept and store the next value) or <see cref="PolicyModes.Skip"/> (an explicit skip entry: never
    /// checked, and not learned by TOFU). Audited.
    /// </summary>
    public void SetPcrPolicy(string tpmHash, string bank, int index, string mode, string? value, string actor, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(bank);
        lock (NodeGate(tpmHash))
        {
            NodeAttestation node = GetOrNew(tpmHash, nowUtc);
            node.Pcrs ??= [];
            PcrPolicyRecord? entry = node.Pcrs.Find(p => p.Bank == bank && p.Index == index);
            string old = entry is null ? PolicyModes.Skip : Describe(entry.Mode, entry.Value);
            node.Pcrs.RemoveAll(p => p.Bank == bank && p.Index == index);
            switch (mode)
            {
                case PolicyModes.Enforce:
                    node.Pcrs.Add(new PcrPolicyRecord { Bank = bank, Index = index, Mode = PolicyModes.Enforce, Value = value?.ToLowerInvariant() });
                    break;
                case PolicyModes.Learn:
                    node.Pcrs.Add(new PcrPolicyRecord { Bank = bank, Index = index, Mode = PolicyModes.Learn, Value = entry?.Value });
                    break;
                case PolicyModes.Skip:
                    node.Pcrs.Add(new PcrPolicyRecord { Bank = bank, Index = index, Mode = PolicyModes.Skip });
                    break;
                default:
                    throw new ArgumentException($"PCR policy mode must be enforce, learn or skip, not '{mode}'", nameof(mode));
            }

            node.Pcrs.Sort((a, b) => (string.CompareOrdinal(a.Bank, b.Bank), a.Index.CompareTo(b.Index)) switch
            {
                (0, int i) => i,
                (int c, _) => c,
            });
            Save(node);
            AddAudit(tpmHash, actor, $"pcr {bank}:{index}", old, Describe(mode, value), nowUtc);
        }
    }

    /// <summary>Sets the AK policy (enforce keeps the current AK Name; learn accepts the next enrolled AK; skip never checks). Audited.</summary>
    public void SetAkPolicy(string tpmHash, string mode, string actor, DateTime nowUtc)
    {
        if (mode is not (PolicyModes.Enforce or PolicyModes.Learn or PolicyModes.Skip))
        {
            throw new ArgumentException($"AK policy mode must be enforce, learn or skip, not '{mode}'", nameof(mode));
        }

        lock (NodeGate(tpmHash))
        {
            NodeAttestation node = GetOrNew(tpmHash, nowUtc);
            string old = node.AkMode ?? "none";
            node.AkMode = mode;
            Save(node);
            AddAudit(tpmHash, actor, "ak policy", old, mode, nowUtc);
        }
    }

    /// <summary>Sets or clears the attestation budget. Audited.</summary>
    public void SetMaxAttestations(string tpmHash, int? max, string actor, DateTime nowUtc)
    {
        lock (NodeGate(tpmHash))
        {
            NodeAttestation node = GetOrNew(tpmHash, nowUtc);
            string? old = node.MaxAttestations?.ToString(System.Globalization.CultureInfo.InvariantCulture);
            node.MaxAttestations = max;
            Save(node);
            AddAudit(tpmHash, actor, "maxAttestations", old, max?.ToString(System.Globalization.CultureInfo.InvariantCulture), nowUtc);
        }
    }

    /// <summary>Attaches (or with null removes) a measured-boot policy (JSON). Audited.</summary>
    public void SetBootPolicy(string tpmHash, string? policyJson, string actor, DateTime nowUtc)
    {
        lock (NodeGate(tpmHash))
        {
            NodeAttestation node = GetOrNew(tpmHash, nowUtc);
            string? old = node.BootPolicyJson is null ? null : "attached";
            node.BootPolicyJson = policyJson;
            Save(node);
            AddAudit(tpmHash, actor, "boot policy", old, policyJson is null ? null : "attached", nowUtc);
        }
    }

    // ---- secrets ----

    /// <summary>Sets a partition secret, sealed under <see cref="SecretKey"/> (the value is never written to the audit).</summary>
    /// <exception cref="InvalidOperationException">The store was opened without <see cref="SecretKey"/>.</exception>
    public void SetSecret(string tpmHash, string label, byte[] value, string actor, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(value);
        SecretAtRestKey key = RequireSecretKey();
        string id = tpmHash + "\n" + label;
        bool existed = _secrets.FindById(id) is not null;
        var record = new SecretRecord { Id = id, TpmHash = tpmHash, Label = label, SetAt = nowUtc };
        key.Seal(record, value);
        _secrets.Upsert(record);
        AddAudit(tpmHash, actor, $"secret {label}", existed ? "set" : null, "set", nowUtc);
    }

    /// <summary>The secret's record (label, when set, ciphertext), if configured.</summary>
    public SecretRecord? FindSecret(string tpmHash, string label) => _secrets.FindById(tpmHash + "\n" + label);

    /// <summary>The passphrase for a label, if configured; the caller zeroes it after use.</summary>
    /// <exception cref="InvalidOperationException">The store was opened without <see cref="SecretKey"/>.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The stored ciphertext does not authenticate.</exception>
    public byte[]? OpenSecret(string tpmHash, string label)
    {
        SecretAtRestKey key = RequireSecretKey();
        return FindSecret(tpmHash, label) is not { } record ? null
            : record.IsSealed ? key.Open(record)
            : (byte[])record.Value.Clone();
    }

    /// <summary>Seals records still holding a plaintext passphrase (written before secrets were sealed at
    /// rest); returns how many.</summary>
    public int SealPlaintextSecrets()
    {
        SecretAtRestKey key = RequireSecretKey();
        int sealedCount = 0;
        foreach (SecretRecord record in _secrets.FindAll().Where(r => !r.IsSealed).ToList())
        {
            byte[] plaintext = record.Value;
            key.Seal(record, plaintext);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plaintext);
            _secrets.Update(record);
            sealedCount++;
        }

        return sealedCount;
    }

    /// <summary>The labels configured for a node.</summary>
    public IReadOnlyList<string> SecretLabels(string tpmHash) =>
        _secrets.Find(s => s.TpmHash == tpmHash).Select(s => s.Label).Order(StringComparer.Ordinal).ToList();

    // ---- challenges ----

    /// <summary>Stores a new challenge.</summary>
    public void AddChallenge(ChallengeRecord challenge) => _challenges.Insert(challenge);

    /// <summary>A challenge by id.</summary>
    public ChallengeRecord? FindChallenge(Guid id) => _challenges.FindById(id);

    /// <summary>Writes a claimed or answered challenge.</summary>
    public void UpdateChallenge(ChallengeRecord challenge) => _challenges.Update(challenge);

    /// <summary>Deletes challenges that expired before <paramref name="cutoffUtc"/> (answered or not); returns how many.</summary>
    public int PruneChallenges(DateTime cutoffUtc) => _challenges.DeleteMany(c => c.ExpiresAt < cutoffUtc);

    // ---- history and audit ----

    /// <summary>Appends to the node's history and drops the oldest beyond <see cref="HistoryLength"/>.</summary>
    public void AddHistory(HistoryRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _history.Insert(record);
        List<long> ids = _history.Query().Where(h => h.TpmHash == record.TpmHash).OrderByDescending(h => h.Id).Select(h => h.Id).ToList();
        foreach (long id in ids.Skip(HistoryLength))
        {
            _history.Delete(id);
        }
    }

    /// <summary>The node's most recent history, newest first.</summary>
    public IReadOnlyList<HistoryRecord> History(string tpmHash, int limit = int.MaxValue) =>
        _history.Query().Where(h => h.TpmHash == tpmHash).OrderByDescending(h => h.Id).Limit(limit).ToList();

    /// <summary>Appends an audit entry.</summary>
    public void AddAudit(string tpmHash, string actor, string what, string? oldValue, string? newValue, DateTime nowUtc) =>
        _audit.Insert(new AuditRecord { TpmHash = tpmHash, Actor = actor, What = what, OldValue = oldValue, NewValue = newValue, At = nowUtc });

    /// <summary>The node's audit trail, newest first.</summary>
    public IReadOnlyList<AuditRecord> Audit(string tpmHash, int limit = int.MaxValue) =>
        _audit.Query().Where(a => a.TpmHash == tpmHash).OrderByDescending(a => a.Id).Limit(limit).ToList();

    // ---- event logs ----

    /// <summary>The log with this SHA-256 the node sent before, if kept.</summary>
    public EventLogRecord? FindLog(string tpmHash, ReadOnlySpan<byte> sha256) =>
        _logs.FindById(tpmHash + ":" + Convert.ToHexStringLower(sha256));

    /// <summary>Keeps a log the node sent (its digest is then known) and drops the least recently used beyond <see cref="LogsPerNode"/>.</summary>
    public void StoreLog(string tpmHash, byte[] sha256, byte[] log, DateTime nowUtc)
    {
        _logs.Upsert(new EventLogRecord { Id = tpmHash + ":" + Convert.ToHexStringLower(sha256), TpmHash = tpmHash, Sha256 = sha256, Log = log, LastUsedAt = nowUtc });
        List<string> ids = _logs.Query().Where(l => l.TpmHash == tpmHash).OrderByDescending(l => l.LastUsedAt).Select(l => l.Id).ToList();
        foreach (string id in ids.Skip(LogsPerNode))
        {
            _logs.Delete(id);
        }
    }

    /// <summary>Marks a kept log as used now (written at most once per <see cref="LogTouchInterval"/>).</summary>
    public void TouchLog(EventLogRecord record, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(record);

        // The document carries the whole log (tens of KB): rewriting it on every steady-state quote
        // only to move LastUsedAt was a large share of the verifier's disk writes. Which of a node's
        // few logs was used most recently is only needed to the hour.
        if (nowUtc.ToUniversalTime() - record.LastUsedAt.ToUniversalTime() < LogTouchInterval)
        {
            return;
        }

        record.LastUsedAt = nowUtc;
        _logs.Update(record);
    }

    /// <summary>How stale a log's LastUsedAt may get before a use writes it again.</summary>
    public static TimeSpan LogTouchInterval { get; } = TimeSpan.FromHours(1);

    /// <summary>A policy value as the audit shows it.</summary>
    public static string Describe(string mode, string? value) => mode switch
    {
        PolicyModes.Enforce => value ?? "",
        PolicyModes.Learn => "\"\" (learn)",
        _ => "(skip)",
    };

    /// <inheritdoc/>
    public void Dispose() => _db.Dispose();

    private SecretAtRestKey RequireSecretKey() => SecretKey
        ?? throw new InvalidOperationException("this store was opened without the secret key (verifier.secret-key): secrets cannot be set or read");
}
