using System.Collections.Concurrent;
using KcryptPush.Storage;
using KcryptPush.Verifier.Enrolment;
using LiteDB;

namespace KcryptPush.Verifier.Store;

/// <summary>
/// The embedded store: one verifier.db in LiteDB DIRECT mode, opened once per process and kept open
/// (shared mode opened and closed the file for every operation: most of the verifier's CPU under load).
/// The file belongs to one process: a lock file beside it (<c>verifier.db.lock</c>, held exclusively
/// while the store is open) makes a second opener, such as an offline <c>nodes list --db</c> while the
/// service runs, fail at once with <see cref="VerifierStoreInUseException"/>. Per-node serialisation is a
/// lock in this process (direct mode is single-process by construction); commits are serialised by one
/// write gate, so a LiteDB transaction never waits on another's collection locks, and concurrent units
/// are committed together (one transaction, one fsync: see <see cref="Apply"/>).
/// Collection names and document shapes are those of the verifier.db files written before this store
/// (<c>nodes</c>, <c>enrolment_audit</c>, <c>node_attestation</c>, <c>attestation_history</c>,
/// <c>attestation_audit</c>, <c>secrets</c>, <c>event_logs</c>), so existing files keep working, except
/// challenges: one document per node (<c>node_challenges</c>, <see cref="LiteDbNodeChallenges"/>), into
/// which a file's per-challenge collection <c>challenges</c> is moved when the file is opened to write.
/// </summary>
public sealed class LiteDbVerifierStore : IVerifierStore
{
    private readonly FileStream _lockFile;
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<VerifierNode> _nodes;
    private readonly ILiteCollection<VerifierEnrolmentEvent> _enrolment;
    private readonly ILiteCollection<NodeAttestation> _attestations;
    private readonly ILiteCollection<LiteDbNodeChallenges> _challenges;
    private readonly ILiteCollection<ChallengeRecord>? _legacyChallenges;
    private readonly ILiteCollection<HistoryRecord> _history;
    private readonly ILiteCollection<AuditRecord> _audit;
    private readonly ILiteCollection<SecretRecord> _secrets;
    private readonly ILiteCollection<EventLogRecord> _logs;
    private readonly ILiteCollection<LeaseRecord> _leases;
    private readonly ConcurrentDictionary<string, Lock> _gates = new(StringComparer.Ordinal);
    private readonly Lock _writeGate = new();
    private readonly List<QueuedWrites> _queued = [];
    private bool _leading;

    // History records each node holds in the file, as far as this process knows (guarded by the write
    // gate; forgotten when a transaction fails, so the next write of a node counts again).
    private readonly Dictionary<string, int> _historyHeld = new(StringComparer.Ordinal);
    private const int HistorySlack = 32;

    // No challenge in the file expires before this (guarded by the write gate; null: not known since
    // the file was opened). A prune with an earlier cutoff has nothing to delete and reads nothing:
    // the silence detector prunes every few seconds, and the challenges are no longer indexed by expiry.
    private DateTime? _challengesExpireFrom;
    private DateTime _expiryWrittenSinceScan = DateTime.MaxValue;
    private readonly Lock _pruneGate = new();
    private const string LegacyChallenges = "challenges";

    // Why the last batch committed nothing, until one commits (see CommitFailure).
    private volatile Exception? _commitFailure;

    // The fleet-wide readers' view of every node, built on first use and kept by each commit (written
    // under the write gate; see LiteDbFleetIndex).
    private volatile LiteDbFleetIndex? _fleet;

    /// <summary>Opens (creating if needed, unless read-only) the file.</summary>
    /// <exception cref="VerifierStoreInUseException">Another process (or store) holds the file.</exception>
    public LiteDbVerifierStore(string path, VerifierStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Options = options ?? new VerifierStoreOptions();
        Path = System.IO.Path.GetFullPath(path);
        if (Options.ReadOnly && !File.Exists(Path))
        {
            throw new FileNotFoundException($"no such file: {Path}", Path);
        }

        if (!Options.ReadOnly && System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } dir)
        {
            Directory.CreateDirectory(dir);
        }

        _lockFile = TakeLock(Path);
        try
        {
            _db = new LiteDatabase(new ConnectionString { Filename = Path, Connection = ConnectionType.Direct, ReadOnly = Options.ReadOnly });
        }
        catch
        {
            _lockFile.Dispose();
            throw;
        }

        _nodes = _db.GetCollection<VerifierNode>("nodes");
        _enrolment = _db.GetCollection<VerifierEnrolmentEvent>("enrolment_audit");
        _attestations = _db.GetCollection<NodeAttestation>("node_attestation");
        _challenges = _db.GetCollection<LiteDbNodeChallenges>("node_challenges");
        _history = _db.GetCollection<HistoryRecord>("attestation_history");
        _audit = _db.GetCollection<AuditRecord>("attestation_audit");
        _secrets = _db.GetCollection<SecretRecord>("secrets");
        _logs = _db.GetCollection<EventLogRecord>("event_logs");
        _leases = _db.GetCollection<LeaseRecord>("leases");
        if (!Options.ReadOnly)
        {
            // Every collection exists before the first unit: LiteDB 5 fails a read of a collection that
            // another transaction is creating at that moment ("page type must be collection page",
            // litedb-org/LiteDB#2792), and units read while others commit. nodes and node_attestation
            // have no index of their own to create them, so each gets one (State changes seldom, so its
            // index is rarely rewritten).
            _nodes.EnsureIndex(n => n.Hostname);
            _attestations.EnsureIndex(a => a.State);
            _enrolment.EnsureIndex(e => e.TpmHash);
            _history.EnsureIndex(h => h.TpmHash);
            _audit.EnsureIndex(a => a.TpmHash);
            _secrets.EnsureIndex(s => s.TpmHash);
            _logs.EnsureIndex(l => l.TpmHash);
            if (!_db.CollectionExists("node_challenges"))
            {
                // Keyed by node and indexed by nothing else (EnsureIndex of _id creates nothing): made
                // by writing and removing a placeholder.
                _challenges.Insert(new LiteDbNodeChallenges { TpmHash = "-" });
                _challenges.Delete("-");
            }

            MoveLegacyChallenges();
        }
        else if (_db.CollectionExists(LegacyChallenges))
        {
            // A read-only open moves nothing: it reads the per-challenge collection as well.
            _legacyChallenges = _db.GetCollection<ChallengeRecord>(LegacyChallenges);
        }
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public string Description => "litedb:" + Path;

    /// <inheritdoc/>
    public VerifierStoreOptions Options { get; }

    /// <summary>
    /// Why the last commit failed, until a commit succeeds again: null while the store commits. The
    /// verifier's /readyz reports it: after an I/O error (a full disk) LiteDB 5 keeps its engine closed in
    /// this process, so a file system with room again does not mean the store commits.
    /// </summary>
    public Exception? CommitFailure => _commitFailure;

    /// <summary>The lock file that marks the database as held: <c>PATH.lock</c>.</summary>
    public static string LockPathOf(string path) => StoreFileLock.PathOf(path);

    /// <inheritdoc/>
    public IVerifierUnit BeginNode(string tpmHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(tpmHash);
        Lock gate = _gates.GetOrAdd(tpmHash, _ => new Lock());
        gate.Enter();
        try
        {
            return new Unit(this, tpmHash, gate);
        }
        catch (Exception e)
        {
            gate.Exit();
            Failed(e);
            throw;
        }
    }

    /// <inheritdoc/>
    public VerifierNode? FindNode(string tpmHash) => _nodes.FindById(tpmHash);

    /// <inheritdoc/>
    public IReadOnlyList<VerifierNode> ListNodes() => _nodes.Query().OrderBy(n => n.TpmHash).ToList();

    /// <inheritdoc/>
    public IReadOnlyList<VerifierEnrolmentEvent> EnrolmentEvents(string tpmHash) =>
        _enrolment.Find(e => e.TpmHash == tpmHash).OrderBy(e => e.Id).ToList();

    /// <inheritdoc/>
    public NodeAttestation? FindAttestation(string tpmHash) => _attestations.FindById(tpmHash);

    /// <inheritdoc/>
    public IReadOnlyList<NodeAttestation> AllAttestations() => _attestations.FindAll().ToList();

    /// <inheritdoc/>
    public IReadOnlyList<string> NodesWithPendingVerdicts() => Fleet().NodesWithPendingVerdicts();

    /// <inheritdoc/>
    public IReadOnlyList<QuietNode> QuietNodes(DateTime heardUntilUtc) => Fleet().QuietNodes(heardUntilUtc.ToUniversalTime());

    /// <inheritdoc/>
    public FleetCounts CountFleet() => Fleet().Count();

    // Read from the file once, under the write gate so that no commit falls between the read and the
    // index taking over (each commit then updates it in Transact).
    private LiteDbFleetIndex Fleet()
    {
        if (_fleet is { } fleet)
        {
            return fleet;
        }

        lock (_writeGate)
        {
            try
            {
                return _fleet ??= new LiteDbFleetIndex(_nodes.FindAll(), _attestations.FindAll());
            }
            catch (Exception e)
            {
                Failed(e);
                throw;
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>Challenges are kept by node, so a look-up by id alone reads every node's challenges: for
    /// tests and diagnostics; the pipeline looks a challenge up in its node's unit.</remarks>
    public ChallengeRecord? FindChallenge(Guid id) =>
        _challenges.FindAll().SelectMany(n => n.Challenges).FirstOrDefault(c => c.Id == id) ?? _legacyChallenges?.FindById(id);

    /// <inheritdoc/>
    public void AddChallenge(ChallengeRecord challenge)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        lock (_writeGate)
        {
            try
            {
                PutChallenges(challenge.TpmHash, [challenge]);
            }
            catch (Exception e)
            {
                Failed(e);
                throw;
            }
        }
    }

    /// <inheritdoc/>
    public int PruneChallenges(DateTime cutoffUtc)
    {
        lock (_pruneGate)
        {
            try
            {
                return Prune(cutoffUtc.ToUniversalTime());
            }
            catch (Exception e)
            {
                Failed(e);
                throw;
            }
        }
    }

    private int Prune(DateTime cutoffUtc)
    {
        lock (_writeGate)
        {
            if (_challengesExpireFrom is { } from && cutoffUtc <= from)
            {
                return 0;
            }

            _expiryWrittenSinceScan = DateTime.MaxValue;
        }

        // The nodes with something to prune are found without the write gate (reading every node's
        // document must not stall commits); each is then pruned under it, as it is then.
        DateTime earliest = DateTime.MaxValue;
        var stale = new List<string>();
        foreach (LiteDbNodeChallenges node in _challenges.FindAll())
        {
            foreach (ChallengeRecord c in node.Challenges)
            {
                DateTime expires = c.ExpiresAt.ToUniversalTime();
                if (expires < cutoffUtc)
                {
                    stale.Add(node.TpmHash);
                    break;
                }

                earliest = expires < earliest ? expires : earliest;
            }
        }

        lock (_writeGate)
        {
            int pruned = 0;
            _db.BeginTrans();
            try
            {
                foreach (string tpmHash in stale)
                {
                    if (_challenges.FindById(tpmHash) is not { } node)
                    {
                        continue;
                    }

                    pruned += node.Challenges.RemoveAll(c => c.ExpiresAt.ToUniversalTime() < cutoffUtc);
                    _ = node.Challenges.Count == 0 ? _challenges.Delete(tpmHash) : _challenges.Update(node);
                    foreach (ChallengeRecord c in node.Challenges)
                    {
                        earliest = c.ExpiresAt.ToUniversalTime() < earliest ? c.ExpiresAt.ToUniversalTime() : earliest;
                    }
                }

                _db.Commit();
            }
            catch
            {
                _db.Rollback();
                throw;
            }

            // What units wrote while the documents were read may expire earlier than what was read.
            _challengesExpireFrom = earliest < _expiryWrittenSinceScan ? earliest : _expiryWrittenSinceScan;
            return pruned;
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<HistoryRecord> History(string tpmHash, int limit = int.MaxValue) =>
        _history.Query().Where(h => h.TpmHash == tpmHash).OrderByDescending(h => h.Id).Limit(Math.Min(limit, Options.HistoryLength)).ToList();

    /// <inheritdoc/>
    public IReadOnlyList<AuditRecord> Audit(string tpmHash, int limit = int.MaxValue) =>
        _audit.Query().Where(a => a.TpmHash == tpmHash).OrderByDescending(a => a.Id).Limit(limit).ToList();

    /// <inheritdoc/>
    public EventLogRecord? FindLog(string tpmHash, ReadOnlySpan<byte> sha256) => _logs.FindById(NodeUnit.LogId(tpmHash, sha256));

    /// <inheritdoc/>
    public SecretRecord? FindSecret(string tpmHash, string label) => _secrets.FindById(NodeUnit.SecretId(tpmHash, label));

    /// <inheritdoc/>
    public IReadOnlyList<string> SecretLabels(string tpmHash) =>
        _secrets.Find(s => s.TpmHash == tpmHash).Select(s => s.Label).Order(StringComparer.Ordinal).ToList();

    /// <inheritdoc/>
    public byte[]? OpenSecret(string tpmHash, string label) => NodeUnit.Open(Options, FindSecret(tpmHash, label));

    /// <inheritdoc/>
    public int SealPlaintextSecrets()
    {
        SecretAtRestKey key = NodeUnit.RequireSecretKey(Options);
        int sealedCount = 0;
        lock (_writeGate)
        {
            foreach (SecretRecord record in _secrets.FindAll().Where(r => !r.IsSealed).ToList())
            {
                byte[] plaintext = record.Value;
                key.Seal(record, plaintext);
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(plaintext);
                _secrets.Update(record);
                sealedCount++;
            }
        }

        return sealedCount;
    }

    /// <inheritdoc/>
    public bool Shared => false;

    /// <inheritdoc/>
    public bool TryHoldLease(string name, string holder, TimeSpan ttl, DateTime nowUtc)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(holder);
        // One process holds the file, so the lease decides only among holders in this process; it is
        // kept in the file like PostgreSQL's so both stores keep one contract.
        lock (_writeGate)
        {
            try
            {
                LeaseRecord? lease = _leases.FindById(name);
                if (lease is not null && lease.Holder != holder && lease.ExpiresAt.ToUniversalTime() > nowUtc.ToUniversalTime())
                {
                    return false;
                }

                _leases.Upsert(new LeaseRecord { Name = name, Holder = holder, ExpiresAt = nowUtc + ttl });
                return true;
            }
            catch (Exception e)
            {
                Failed(e);
                throw;
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _db.Dispose();
        // The lock file stays: deleting it would race with a process opening it now.
        _lockFile.Dispose();
    }

    // A LiteDB or I/O error on the way to a commit (LiteDB closes its engine on an I/O error, and every
    // later read fails before a unit reaches its commit): remembered as the store's failure until a
    // batch commits.
    private void Failed(Exception e)
    {
        if (e is IOException or LiteException or ObjectDisposedException)
        {
            _commitFailure = e;
        }
    }

    private static FileStream TakeLock(string path) => StoreFileLock.Take(path, (p, e) => new VerifierStoreInUseException(p, e));

    // Group commit: each LiteDB commit ends in an fsync of the log file, and one fsync per unit
    // bounded the store at 1/fsync-time units a second however many consumers ran. A unit queues its
    // writes; whichever unit takes the write gate commits every queued unit in one transaction, and
    // each returns only once the transaction holding its writes has committed (or has failed, with
    // that unit's error). Units of one node never share a batch: the node's gate is held until its
    // commit returns.
    private void Apply(string tpmHash, UnitWrites w)
    {
        if (w.IsEmpty)
        {
            return;
        }

        var mine = new QueuedWrites(tpmHash, w);
        Monitor.Enter(_queued);
        try
        {
            _queued.Add(mine);
            while (!mine.Done)
            {
                if (_leading)
                {
                    // A batch is being committed; the next may hold these writes, or this unit leads it.
                    Monitor.Wait(_queued);
                    continue;
                }

                _leading = true;
                List<QueuedWrites> batch = [.. _queued];
                _queued.Clear();
                Monitor.Exit(_queued);
                try
                {
                    lock (_writeGate)
                    {
                        CommitBatch(batch);
                    }
                }
                finally
                {
                    Monitor.Enter(_queued);
                    _leading = false;
                    Monitor.PulseAll(_queued);
                }
            }
        }
        finally
        {
            Monitor.Exit(_queued);
        }

        if (mine.Error is { } error)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
    }

    private void CommitBatch(List<QueuedWrites> batch)
    {
        try
        {
            Transact(batch);
        }
        catch (Exception) when (batch.Count > 1)
        {
            // One unit's failure must not fail the others: commit each on its own, each with its own outcome.
            foreach (QueuedWrites one in batch)
            {
                try
                {
                    Transact([one]);
                }
                catch (Exception e)
                {
                    one.Error = e;
                }
            }
        }
        catch (Exception e)
        {
            batch[0].Error = e;
        }

        try
        {
            // LiteDB's Commit hands the transaction's pages to a background writer of the -log file and
            // returns: a process killed then loses a unit the verifier has answered for (a claimed
            // challenge, a state change whose verdict goes out). The checkpoint waits for that writer,
            // copies the pages into the data file and flushes it, so a returned unit is in the file; group
            // commit pays it once per batch. If it fails, the units committed but may not be on disk: they
            // fail (their messages are not acknowledged, and a redelivery finds what did commit).
            _db.Checkpoint();
        }
        catch (Exception e)
        {
            foreach (QueuedWrites q in batch.Where(q => q.Error is null))
            {
                q.Error = e;
            }
        }
        finally
        {
            // Not ready while nothing commits; one committed unit shows the store commits again.
            _commitFailure = batch.All(q => q.Error is not null) ? batch[0].Error : null;
            foreach (QueuedWrites q in batch)
            {
                q.Done = true;
            }
        }
    }

    private void Transact(List<QueuedWrites> batch)
    {
        _db.BeginTrans();
        try
        {
            foreach (QueuedWrites q in batch)
            {
                Write(q.TpmHash, q.Writes);
            }

            _db.Commit();
        }
        catch
        {
            _db.Rollback();
            _historyHeld.Clear();
            throw;
        }

        if (_fleet is { } fleet)
        {
            foreach (QueuedWrites q in batch)
            {
                Index(fleet, q.TpmHash, q.Writes);
            }
        }
    }

    // What a committed unit changed of the fleet index, in the order Write wrote it.
    private static void Index(LiteDbFleetIndex fleet, string tpmHash, UnitWrites w)
    {
        if (w.Deleted)
        {
            fleet.Delete(tpmHash);
        }

        if (w.Node is not null)
        {
            fleet.Node(w.Node);
        }

        if (w.Attestation is not null)
        {
            fleet.Record(w.Attestation);
        }
    }

    private void Write(string tpmHash, UnitWrites w)
    {
        if (w.Deleted)
        {
            _nodes.Delete(tpmHash);
            _attestations.Delete(tpmHash);
            _secrets.DeleteMany(s => s.TpmHash == tpmHash);
            _history.DeleteMany(h => h.TpmHash == tpmHash);
            _historyHeld.Remove(tpmHash);
            _logs.DeleteMany(l => l.TpmHash == tpmHash);
            _challenges.Delete(tpmHash);
        }

        if (w.Node is not null)
        {
            _nodes.Upsert(w.Node);
        }

        foreach (VerifierEnrolmentEvent e in w.EnrolmentEvents)
        {
            _enrolment.Insert(e);
        }

        if (w.Attestation is not null)
        {
            _attestations.Upsert(w.Attestation);
        }

        if (w.Challenges.Count > 0)
        {
            PutChallenges(tpmHash, w.Challenges.Values);
        }

        if (w.Logs.Count > 0)
        {
            foreach (EventLogRecord l in w.Logs.Values)
            {
                _logs.Upsert(l);
            }

            List<string> ids = _logs.Query().Where(l => l.TpmHash == tpmHash).OrderByDescending(l => l.LastUsedAt).Select(l => l.Id).ToList();
            foreach (string id in ids.Skip(Options.LogsPerNode))
            {
                _logs.Delete(id);
            }
        }

        foreach ((string id, DateTime at) in w.TouchedLogs)
        {
            if (_logs.FindById(id) is { } l)
            {
                l.LastUsedAt = at;
                _logs.Update(l);
            }
        }

        foreach (SecretRecord s in w.Secrets.Values)
        {
            _secrets.Upsert(s);
        }

        if (w.History.Count > 0)
        {
            foreach (HistoryRecord h in w.History)
            {
                _history.Insert(h);
            }

            // Pruning reads every id the node holds, so it runs when the node is new to this process
            // or HistorySlack records over the bound, not at every attestation; reads never return more
            // than HistoryLength.
            _historyHeld[tpmHash] = _historyHeld.TryGetValue(tpmHash, out int held) ? held + w.History.Count : int.MaxValue;
            if (_historyHeld[tpmHash] > Options.HistoryLength + HistorySlack)
            {
                List<long> ids = _history.Query().Where(h => h.TpmHash == tpmHash).OrderByDescending(h => h.Id).Select(h => h.Id).ToList();
                foreach (long id in ids.Skip(Options.HistoryLength))
                {
                    _history.Delete(id);
                }

                _historyHeld[tpmHash] = Math.Min(ids.Count, Options.HistoryLength);
            }
        }

        foreach (AuditRecord a in w.Audit)
        {
            _audit.Insert(a);
        }
    }

    // One edit of the node's challenge document (caller holds the write gate).
    private void PutChallenges(string tpmHash, IReadOnlyCollection<ChallengeRecord> written)
    {
        LiteDbNodeChallenges node = _challenges.FindById(tpmHash) ?? new LiteDbNodeChallenges { TpmHash = tpmHash };
        node.Challenges = LiteDbNodeChallenges.Kept(node.Challenges, written, LiteDbNodeChallenges.PerNode);
        _challenges.Upsert(node);
        foreach (ChallengeRecord c in written)
        {
            DateTime expires = c.ExpiresAt.ToUniversalTime();
            if (_challengesExpireFrom is { } from && expires < from)
            {
                _challengesExpireFrom = expires;
            }

            _expiryWrittenSinceScan = expires < _expiryWrittenSinceScan ? expires : _expiryWrittenSinceScan;
        }
    }

    // Files written before node_challenges kept one document per challenge, indexed by id, node and
    // expiry: they are moved into the nodes' documents (keeping what LiteDbNodeChallenges.Kept keeps)
    // and the old collection is dropped (LiteDB drops a collection only outside a transaction: a process
    // stopped between the two moves them again on its next open, merging with what it moved), and the
    // file is checkpointed before the store is used.
    private void MoveLegacyChallenges()
    {
        if (!_db.CollectionExists(LegacyChallenges))
        {
            return;
        }

        ILiteCollection<ChallengeRecord> legacy = _db.GetCollection<ChallengeRecord>(LegacyChallenges);
        _db.BeginTrans();
        try
        {
            // Node by node through the old node index: an old file holds a day of answered challenges
            // (thousands a node), so they are not all read at once.
            var nodes = legacy.Query().Select(c => c.TpmHash).ToEnumerable().ToHashSet(StringComparer.Ordinal);
            foreach (string tpmHash in nodes)
            {
                List<ChallengeRecord> all = legacy.Find(c => c.TpmHash == tpmHash).ToList();
                if (_challenges.FindById(tpmHash) is { } moved)
                {
                    all = [.. all.Where(c => !moved.Challenges.Exists(m => m.Id == c.Id)), .. moved.Challenges];
                }

                // As if the newest had just been written: what had expired by then and was answered goes.
                ChallengeRecord newest = all.MaxBy(c => c.IssuedAt.ToUniversalTime())!;
                _challenges.Upsert(new LiteDbNodeChallenges { TpmHash = tpmHash, Challenges = LiteDbNodeChallenges.Kept(all, [newest], LiteDbNodeChallenges.PerNode) });
            }

            _db.Commit();
        }
        catch
        {
            _db.Rollback();
            throw;
        }

        _db.DropCollection(LegacyChallenges);

        _db.Checkpoint();
    }

    private sealed class QueuedWrites(string tpmHash, UnitWrites writes)
    {
        public string TpmHash { get; } = tpmHash;

        public UnitWrites Writes { get; } = writes;

        public bool Done { get; set; }

        public Exception? Error { get; set; }
    }

    private sealed class Unit : NodeUnit
    {
        private readonly LiteDbVerifierStore _store;
        private readonly Lock _gate;

        public Unit(LiteDbVerifierStore store, string tpmHash, Lock gate)
            : base(tpmHash, store.Options)
        {
            _store = store;
            _gate = gate;
            Node = store._nodes.FindById(tpmHash);
            Attestation = store._attestations.FindById(tpmHash);
        }

        protected override void Apply(UnitWrites writes) => _store.Apply(TpmHash, writes);

        protected override void Release() => _gate.Exit();

        protected override ChallengeRecord? ReadChallenge(Guid id) =>
            _store._challenges.FindById(TpmHash)?.Challenges.Find(c => c.Id == id) ?? _store._legacyChallenges?.FindById(id);

        protected override EventLogRecord? ReadLog(string id) => _store._logs.FindById(id);

        protected override SecretRecord? ReadSecret(string id) => _store._secrets.FindById(id);
    }
}
