using System.Collections.Concurrent;
using KcryptPush.Storage;
using KcryptPush.Verifier.Enrolment;
using LiteDB;
using Microsoft.Extensions.Logging;

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
/// A failed write (a full disk) closes LiteDB's engine for good; the store then fails every use at once
/// and reopens the file in this process (<see cref="TryReopen"/>), so the verifier commits again once
/// space returns, without a restart.
/// </summary>
public sealed class LiteDbVerifierStore : IVerifierStore
{
    private readonly FileStream _lockFile;
    private readonly Func<LiteDatabase> _openEngine;

    // The current opening of the file and its collections: replaced together by Reopen, under the
    // write lock of _engineLock (every use of them holds its read lock).
    private LiteDatabase _db = null!;
    private LiteDbCheckpointer _checkpointer = null!;
    private ILiteCollection<VerifierNode> _nodes = null!;
    private ILiteCollection<VerifierEnrolmentEvent> _enrolment = null!;
    private ILiteCollection<NodeAttestation> _attestations = null!;
    private ILiteCollection<LiteDbNodeChallenges> _challenges = null!;
    private ILiteCollection<ChallengeRecord>? _legacyChallenges;
    private ILiteCollection<HistoryRecord> _history = null!;
    private ILiteCollection<AuditRecord> _audit = null!;
    private ILiteCollection<SecretRecord> _secrets = null!;
    private ILiteCollection<EventLogRecord> _logs = null!;
    private ILiteCollection<LeaseRecord> _leases = null!;
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

    // Reopening after a failed write (see Broken). Lock order: _queued, _pruneGate, _writeGate, _engineLock.
    private readonly ReaderWriterLockSlim _engineLock = new(LockRecursionPolicy.SupportsRecursion);
    private Exception? _broken;
    private long _generation;
    private int _recovering;
    private volatile bool _unrecoverable;
    private volatile bool _disposed;
    private long _reopenDelayTicks;
    private static readonly TimeSpan MaxReopenDelay = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ReopenWait = TimeSpan.FromSeconds(30);

    // How long a batch waits for its checkpoint before the engine is taken as failed, unless LiteDB has
    // closed it before (see LiteDbCheckpointer): a healthy checkpoint copies one batch's pages.
    private static readonly TimeSpan CheckpointBound = TimeSpan.FromSeconds(30);

    /// <summary>Opens (creating if needed, unless read-only) the file.</summary>
    /// <exception cref="VerifierStoreInUseException">Another process (or store) holds the file.</exception>
    public LiteDbVerifierStore(string path, VerifierStoreOptions? options = null)
        : this(path, options, null)
    {
    }

    /// <summary>Opens the file through <paramref name="openEngine"/> (tests: an engine over streams that
    /// fail like a full disk), or LiteDB's direct mode on <paramref name="path"/> when null.</summary>
    internal LiteDbVerifierStore(string path, VerifierStoreOptions? options, Func<LiteDatabase>? openEngine)
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

        _reopenDelayTicks = Options.ReopenDelay.Ticks;
        _openEngine = openEngine ?? (() => new LiteDatabase(new ConnectionString { Filename = Path, Connection = ConnectionType.Direct, ReadOnly = Options.ReadOnly }));
        // The lock is held from here to Dispose, across every reopen: no other process may open the
        // file while this one swaps its engine.
        _lockFile = TakeLock(Path);
        try
        {
            Attach(_openEngine());
        }
        catch
        {
            _lockFile.Dispose();
            throw;
        }
    }

    // Takes a new opening of the file as the current one: its collections, and (to write) the schema.
    private void Attach(LiteDatabase db)
    {
        _db = db;
        _checkpointer = new LiteDbCheckpointer(db);
        _nodes = _db.GetCollection<VerifierNode>("nodes");
        _enrolment = _db.GetCollection<VerifierEnrolmentEvent>("enrolment_audit");
        _attestations = _db.GetCollection<NodeAttestation>("node_attestation");
        _challenges = _db.GetCollection<LiteDbNodeChallenges>("node_challenges");
        _history = _db.GetCollection<HistoryRecord>("attestation_history");
        _audit = _db.GetCollection<AuditRecord>("attestation_audit");
        _secrets = _db.GetCollection<SecretRecord>("secrets");
        _logs = _db.GetCollection<EventLogRecord>("event_logs");
        _leases = _db.GetCollection<LeaseRecord>("leases");
        try
        {
            Prepare();
        }
        catch
        {
            LiteDbFailedEngines.Keep(_db);
            _checkpointer.Dispose();
            _db.Dispose();
            throw;
        }
    }

    private void Prepare()
    {
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
    /// verifier's /readyz reports it: after an I/O error (a full disk) LiteDB 5 keeps its engine closed,
    /// so the store reopens the file in this process (every use fails meanwhile) and a file system with
    /// room again means the store commits only once a unit has.
    /// </summary>
    public Exception? CommitFailure => _commitFailure;

    /// <summary>
    /// True once a failed engine could not be replaced in this process (a call into it never returned):
    /// the store stays unusable and the process must be restarted (<see cref="VerifierStoreOptions.Unrecoverable"/>).
    /// </summary>
    public bool CannotRecover => _unrecoverable;

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
    public VerifierNode? FindNode(string tpmHash) => Use(() => _nodes.FindById(tpmHash));

    /// <inheritdoc/>
    public IReadOnlyList<VerifierNode> ListNodes() => Use(() => _nodes.Query().OrderBy(n => n.TpmHash).ToList());

    /// <inheritdoc/>
    public IReadOnlyList<VerifierEnrolmentEvent> EnrolmentEvents(string tpmHash) =>
        Use(() => _enrolment.Find(e => e.TpmHash == tpmHash).OrderBy(e => e.Id).ToList());

    /// <inheritdoc/>
    public NodeAttestation? FindAttestation(string tpmHash) => Use(() => _attestations.FindById(tpmHash));

    /// <inheritdoc/>
    public IReadOnlyList<NodeAttestation> AllAttestations() => Use(() => _attestations.FindAll().ToList());

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
            return _fleet ??= Use(() => new LiteDbFleetIndex(_nodes.FindAll(), _attestations.FindAll()));
        }
    }

    /// <inheritdoc/>
    /// <remarks>Challenges are kept by node, so a look-up by id alone reads every node's challenges: for
    /// tests and diagnostics; the pipeline looks a challenge up in its node's unit.</remarks>
    public ChallengeRecord? FindChallenge(Guid id) =>
        Use(() => _challenges.FindAll().SelectMany(n => n.Challenges).FirstOrDefault(c => c.Id == id) ?? _legacyChallenges?.FindById(id));

    /// <inheritdoc/>
    public void AddChallenge(ChallengeRecord challenge)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        lock (_writeGate)
        {
            Use(() => PutChallenges(challenge.TpmHash, [challenge]));
        }
    }

    /// <inheritdoc/>
    public int PruneChallenges(DateTime cutoffUtc)
    {
        lock (_pruneGate)
        {
            return Prune(cutoffUtc.ToUniversalTime());
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
        Use(() =>
        {
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
        });

        lock (_writeGate)
        {
            int pruned = 0;
            Use(() =>
            {
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
                    Rollback();
                    throw;
                }
            });

            // What units wrote while the documents were read may expire earlier than what was read.
            _challengesExpireFrom = earliest < _expiryWrittenSinceScan ? earliest : _expiryWrittenSinceScan;
            return pruned;
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<HistoryRecord> History(string tpmHash, int limit = int.MaxValue) =>
        Use(() => _history.Query().Where(h => h.TpmHash == tpmHash).OrderByDescending(h => h.Id).Limit(Math.Min(limit, Options.HistoryLength)).ToList());

    /// <inheritdoc/>
    public IReadOnlyList<AuditRecord> Audit(string tpmHash, int limit = int.MaxValue) =>
        Use(() => _audit.Query().Where(a => a.TpmHash == tpmHash).OrderByDescending(a => a.Id).Limit(limit).ToList());

    /// <inheritdoc/>
    public EventLogRecord? FindLog(string tpmHash, ReadOnlySpan<byte> sha256)
    {
        string id = NodeUnit.LogId(tpmHash, sha256);
        return Use(() => _logs.FindById(id));
    }

    /// <inheritdoc/>
    public SecretRecord? FindSecret(string tpmHash, string label) => Use(() => _secrets.FindById(NodeUnit.SecretId(tpmHash, label)));

    /// <inheritdoc/>
    public IReadOnlyList<string> SecretLabels(string tpmHash) =>
        Use(() => _secrets.Find(s => s.TpmHash == tpmHash).Select(s => s.Label).Order(StringComparer.Ordinal).ToList());

    /// <inheritdoc/>
    public byte[]? OpenSecret(string tpmHash, string label) => NodeUnit.Open(Options, FindSecret(tpmHash, label));

    /// <inheritdoc/>
    public int SealPlaintextSecrets()
    {
        SecretAtRestKey key = NodeUnit.RequireSecretKey(Options);
        int sealedCount = 0;
        lock (_writeGate)
        {
            Use(() =>
            {
                foreach (SecretRecord record in _secrets.FindAll().Where(r => !r.IsSealed).ToList())
                {
                    byte[] plaintext = record.Value;
                    key.Seal(record, plaintext);
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(plaintext);
                    _secrets.Update(record);
                    sealedCount++;
                }
            });
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
            return Use(() =>
            {
                LeaseRecord? lease = _leases.FindById(name);
                if (lease is not null && lease.Holder != holder && lease.ExpiresAt.ToUniversalTime() > nowUtc.ToUniversalTime())
                {
                    return false;
                }

                _leases.Upsert(new LeaseRecord { Name = name, Holder = holder, ExpiresAt = nowUtc + ttl });
                return true;
            });
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _disposed = true;
        if (_engineLock.TryEnterWriteLock(ReopenWait))
        {
            try
            {
                _ = Close(_db);
            }
            finally
            {
                _engineLock.ExitWriteLock();
            }
        }

        // The lock file stays: deleting it would race with a process opening it now.
        _lockFile.Dispose();
    }

    // A LiteDB or I/O error on the way to a commit (LiteDB closes its engine on an I/O error, and every
    // later read fails before a unit reaches its commit): remembered as the store's failure until a
    // batch commits; an error that leaves the engine unusable also has it reopened (Broke).
    private void Failed(Exception e)
    {
        if (e is VerifierStoreUnavailableException)
        {
            return;
        }

        if (e is IOException or LiteException or ObjectDisposedException)
        {
            _commitFailure = e;
        }

        if (BreaksEngine(e))
        {
            Broke(e);
        }
    }

    // LiteDB 5.0.20 closes its engine for good on an I/O error (EngineState.Handle: a full disk, a file
    // system turned read-only) and answers every later call with that error; a closed engine, an
    // unknown error (code 0: "Maximum number of transactions reached" once failed transactions leaked)
    // or a lock that timed out leave it as unusable. A unit's own error (a duplicate key) does not.
    private static bool BreaksEngine(Exception e) =>
        e is IOException or ObjectDisposedException
        || e is LiteException { ErrorCode: 0 or LiteException.ENGINE_DISPOSED or LiteException.DATABASE_SHUTDOWN or LiteException.INVALID_DATAFILE_STATE or LiteException.LOCK_TIMEOUT };

    // The engine is unusable: from now on every use fails at once (nothing touches the failed engine:
    // LiteDB's Checkpoint waits for a background writer that died with pages queued, for ever) until
    // Reopen has replaced it.
    private void Broke(Exception cause)
    {
        if (Options.ReadOnly || _disposed)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _broken, cause, null) is null)
        {
            LiteDbFailedEngines.Keep(_db);
            Options.Logger?.LogError(cause, "Verifier store {Path}: the LiteDB engine failed ({Reason}); units fail until it is reopened", Path, cause.Message);
        }

        StartRecovery();
    }

    // Runs one use of the current engine under the read side of _engineLock (so never while Reopen
    // replaces it), failing at once while the engine is broken or, for a unit (generation >= 0), when
    // the engine it began on was replaced: what it read may hold writes the failed engine lost.
    private T Use<T>(Func<T> use, long generation = -1)
    {
        _engineLock.EnterReadLock();
        try
        {
            if (Volatile.Read(ref _broken) is { } cause)
            {
                throw new VerifierStoreUnavailableException(Path, cause);
            }

            if (generation >= 0 && generation != _generation)
            {
                throw new VerifierStoreUnavailableException(Path, null);
            }

            return use();
        }
        catch (Exception e) when (e is not VerifierStoreUnavailableException && LiteDbCheckpointer.EngineClosed(_db))
        {
            // LiteDB closed the engine under this call (its log writer failed): the call meets disposed
            // files and locks; the writer's error says why.
            Exception cause = LiteDbCheckpointer.EngineFailure(_db) ?? new IOException("LiteDB closed its engine after a failed write", e);
            Failed(cause);
            throw new VerifierStoreUnavailableException(Path, cause);
        }
        catch (Exception e)
        {
            Failed(e);
            throw;
        }
        finally
        {
            _engineLock.ExitReadLock();
        }
    }

    private void Use(Action use, long generation = -1) => Use(() =>
    {
        use();
        return 0;
    }, generation);

    // A failed transaction's rollback fails as well on a closed engine: the transaction's own error is the one to report.
    private void Rollback()
    {
        try
        {
            _db.Rollback();
        }
        catch (Exception e) when (e is IOException or LiteException or ObjectDisposedException)
        {
        }
    }

    private void StartRecovery()
    {
        if (_disposed || Interlocked.CompareExchange(ref _recovering, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(RecoverAsync);
    }

    private async Task RecoverAsync()
    {
        try
        {
            while (!_disposed && !_unrecoverable && Volatile.Read(ref _broken) is not null)
            {
                await Task.Delay(TimeSpan.FromTicks(Interlocked.Read(ref _reopenDelayTicks))).ConfigureAwait(false);
                if (!TryReopen())
                {
                    long doubled = Math.Min(Interlocked.Read(ref _reopenDelayTicks) * 2, MaxReopenDelay.Ticks);
                    Interlocked.Exchange(ref _reopenDelayTicks, doubled);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _recovering, 0);
        }

        // A failure after the loop's last look has its own recovery.
        if (!_disposed && !_unrecoverable && Volatile.Read(ref _broken) is not null)
        {
            StartRecovery();
        }
    }

    /// <summary>
    /// Replaces a failed engine by a new opening of the file, in this process. Nothing uses the engine
    /// meanwhile: the write gate stops commits (a batch in progress finishes first) and the write side of
    /// <c>_engineLock</c> waits for every read in progress, and holds off new ones, until the new engine
    /// is in place; no unit ever sees a half-closed engine. Units begun on the old engine fail at their
    /// next read or their commit (their messages are not acknowledged and come again). The lock file is
    /// held throughout. LiteDB's -log file holds every transaction LiteDB confirmed, those of batches
    /// whose checkpoint failed included (their units failed, and a redelivery finds what did commit):
    /// the new engine replays it on open and the checkpoint here copies it into the data file, which
    /// needs the space the failure lacked. False when the file cannot be reopened yet (tried again
    /// later), or when the failed engine does not let go (a call that never returns): then this process
    /// cannot recover and says so (<see cref="VerifierStoreOptions.Unrecoverable"/>).
    /// </summary>
    private bool TryReopen()
    {
        if (!_writeGate.TryEnter(ReopenWait))
        {
            return Unrecoverable("a commit on the failed engine has not returned");
        }

        try
        {
            if (!_engineLock.TryEnterWriteLock(ReopenWait))
            {
                return Unrecoverable("a read of the failed engine has not returned");
            }

            try
            {
                if (_disposed || _broken is null)
                {
                    return true;
                }

                if (!Close(_db))
                {
                    return Unrecoverable("closing the failed engine has not returned");
                }

                try
                {
                    Attach(_openEngine());
                }
                catch (Exception e)
                {
                    Options.Logger?.LogWarning("Verifier store {Path}: cannot reopen yet: {Reason}", Path, e.Message);
                    return false;
                }

                try
                {
                    _checkpointer.Checkpoint(CheckpointBound);
                }
                catch (Exception e)
                {
                    LiteDbFailedEngines.Keep(_db);
                    Options.Logger?.LogWarning("Verifier store {Path}: reopened, but its log cannot be written into the file yet: {Reason}", Path, e.Message);
                    return Close(_db) ? false : Unrecoverable("closing the reopened engine has not returned");
                }

                _generation++;
                // What the new engine holds is read again: a batch whose checkpoint failed may or may not be in it.
                _fleet = null;
                _historyHeld.Clear();
                _challengesExpireFrom = null;
                _expiryWrittenSinceScan = DateTime.MaxValue;
                Exception cause = _broken;
                Volatile.Write(ref _broken, null);
                Options.Logger?.LogWarning("Verifier store {Path}: reopened after {Reason}; units committing again", Path, cause.Message);
                return true;
            }
            finally
            {
                _engineLock.ExitWriteLock();
            }
        }
        finally
        {
            _writeGate.Exit();
        }
    }

    private bool Unrecoverable(string why)
    {
        _unrecoverable = true;
        Exception cause = Volatile.Read(ref _broken) ?? new IOException(why);
        Options.Logger?.LogCritical(cause, "Verifier store {Path}: cannot be reopened in this process ({Why}) after {Reason}: the verifier must be restarted", Path, why, cause.Message);
        Options.Unrecoverable?.Invoke(cause);
        return false;
    }

    // Disposes an engine, giving up after ReopenWait: LiteDB's Dispose may wait on a background writer
    // that died. False when it has not returned (its threads may still use the file).
    private bool Close(LiteDatabase db)
    {
        _checkpointer.Dispose();
        Task closing = Task.Run(db.Dispose);
        try
        {
            return closing.Wait(ReopenWait);
        }
        catch (AggregateException)
        {
            // LiteDB closes everything it can before it throws what failed.
            return true;
        }
    }

    private static FileStream TakeLock(string path) => StoreFileLock.Take(path, (p, e) => new VerifierStoreInUseException(p, e));

    // Group commit: each LiteDB commit ends in an fsync of the log file, and one fsync per unit
    // bounded the store at 1/fsync-time units a second however many consumers ran. A unit queues its
    // writes; whichever unit takes the write gate commits every queued unit in one transaction, and
    // each returns only once the transaction holding its writes has committed (or has failed, with
    // that unit's error). Units of one node never share a batch: the node's gate is held until its
    // commit returns.
    private void Apply(string tpmHash, UnitWrites w, long generation)
    {
        if (w.IsEmpty)
        {
            return;
        }

        var mine = new QueuedWrites(tpmHash, w, generation);
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
        _engineLock.EnterReadLock();
        try
        {
            CommitOnEngine(batch);
        }
        finally
        {
            _engineLock.ExitReadLock();
        }
    }

    private void CommitOnEngine(List<QueuedWrites> batch)
    {
        // Nothing is written through a failed engine, nor what a unit read from an engine since replaced.
        foreach (QueuedWrites q in batch.Where(q => Volatile.Read(ref _broken) is { } || q.Generation != _generation))
        {
            q.Error = new VerifierStoreUnavailableException(Path, Volatile.Read(ref _broken));
        }

        List<QueuedWrites> writable = [.. batch.Where(q => q.Error is null)];
        try
        {
            Transact(writable);
        }
        catch (Exception) when (writable.Count > 1)
        {
            // One unit's failure must not fail the others: commit each on its own, each with its own
            // outcome (unless the failure broke the engine: then none can).
            foreach (QueuedWrites one in writable)
            {
                try
                {
                    if (Volatile.Read(ref _broken) is { } cause)
                    {
                        throw new VerifierStoreUnavailableException(Path, cause);
                    }

                    Transact([one]);
                }
                catch (Exception e)
                {
                    one.Error = e;
                }
            }
        }
        catch (Exception e) when (writable.Count == 1)
        {
            writable[0].Error = e;
        }

        try
        {
            // LiteDB's Commit hands the transaction's pages to a background writer of the -log file and
            // returns: a process killed then loses a unit the verifier has answered for (a claimed
            // challenge, a state change whose verdict goes out). The checkpoint waits for that writer,
            // copies the pages into the data file and flushes it, so a returned unit is in the file; group
            // commit pays it once per batch. If it fails, the units committed but may not be on disk: they
            // fail (their messages are not acknowledged, and a redelivery finds what did commit), and the
            // engine is reopened. A failed engine is not checkpointed: its checkpoint waits for ever on a
            // background writer that died with pages queued.
            if (Volatile.Read(ref _broken) is null && writable.Count > 0)
            {
                _checkpointer.Checkpoint(CheckpointBound);
            }
        }
        catch (Exception e)
        {
            foreach (QueuedWrites q in batch.Where(q => q.Error is null))
            {
                q.Error = new VerifierStoreUnavailableException(Path, e);
            }

            Broke(e);
        }
        finally
        {
            // Not ready while nothing commits; one committed unit shows the store commits again.
            QueuedWrites? failed = batch.Find(q => q.Error is not null && q.Error is not VerifierStoreUnavailableException { Cause: null }) ?? batch.Find(q => q.Error is not null);
            if (batch.All(q => q.Error is not null))
            {
                _commitFailure = failed!.Error is VerifierStoreUnavailableException { Cause: { } cause } ? cause : failed.Error;
            }
            else
            {
                _commitFailure = null;
                Interlocked.Exchange(ref _reopenDelayTicks, Options.ReopenDelay.Ticks);
            }

            foreach (QueuedWrites q in batch)
            {
                q.Done = true;
            }
        }
    }

    private void Transact(List<QueuedWrites> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        _db.BeginTrans();
        try
        {
            foreach (QueuedWrites q in batch)
            {
                Write(q.TpmHash, q.Writes);
            }

            _db.Commit();
        }
        catch (Exception e)
        {
            Rollback();
            _historyHeld.Clear();
            // An engine LiteDB closed (its log writer failed) answers with its disposed parts: its own error says why.
            Exception cause = LiteDbCheckpointer.EngineClosed(_db) ? LiteDbCheckpointer.EngineFailure(_db) ?? e : e;
            if (BreaksEngine(cause))
            {
                Broke(cause);
            }

            if (!ReferenceEquals(cause, e))
            {
                throw new VerifierStoreUnavailableException(Path, cause);
            }

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

        _checkpointer.Checkpoint(CheckpointBound);
    }

    private sealed class QueuedWrites(string tpmHash, UnitWrites writes, long generation)
    {
        public string TpmHash { get; } = tpmHash;

        public long Generation { get; } = generation;

        public UnitWrites Writes { get; } = writes;

        public bool Done { get; set; }

        public Exception? Error { get; set; }
    }

    private sealed class Unit : NodeUnit
    {
        private readonly LiteDbVerifierStore _store;
        private readonly Lock _gate;
        private readonly long _generation;

        public Unit(LiteDbVerifierStore store, string tpmHash, Lock gate)
            : base(tpmHash, store.Options)
        {
            _store = store;
            _gate = gate;
            (Node, Attestation, _generation) = store.Use(() => (store._nodes.FindById(tpmHash), store._attestations.FindById(tpmHash), store._generation));
        }

        protected override void Apply(UnitWrites writes) => _store.Apply(TpmHash, writes, _generation);

        protected override void Release() => _gate.Exit();

        protected override ChallengeRecord? ReadChallenge(Guid id) =>
            _store.Use(() => _store._challenges.FindById(TpmHash)?.Challenges.Find(c => c.Id == id) ?? _store._legacyChallenges?.FindById(id), _generation);

        protected override EventLogRecord? ReadLog(string id) => _store.Use(() => _store._logs.FindById(id), _generation);

        protected override SecretRecord? ReadSecret(string id) => _store.Use(() => _store._secrets.FindById(id), _generation);
    }
}
