using KcryptPush.Storage;
using LiteDB;

namespace KcryptPush.Registrar.Store;

/// <summary>
/// The embedded store: one registrar.db in LiteDB DIRECT mode, opened once per process and kept open
/// (the shared mode it replaces opened and closed the file for every operation and had no
/// multi-statement transactions). The file belongs to one process: a lock file beside it
/// (<c>registrar.db.lock</c>, held exclusively while the store is open) makes a second opener, such as
/// an offline <c>nodes list --db</c> while the service runs, fail at once with
/// <see cref="RegistrarStoreInUseException"/>. Units of one node are serialised by a lock in this
/// process (one of <see cref="Stripes"/>, chosen by the TPM hash, so the locks do not grow with the
/// hashes an attacker registers); commits are serialised by one write gate, each a LiteDB transaction.
/// Collection names and document shapes are those of the files the shared-mode store wrote
/// (<c>nodes</c>, <c>challenges</c>, <c>audit</c>, <c>rejections</c>), so existing files open as they are.
/// A write that fails on the file (a full disk) fails the store for good in this process (see
/// <see cref="Failure"/>): the owner is told and the service exits for a restart.
/// </summary>
public sealed class LiteDbRegistrarStore : IRegistrarStore
{
    /// <summary>How many node locks there are: units of two nodes wait for each other only when their hashes share one.</summary>
    public const int Stripes = 64;

    private readonly FileStream _lockFile;
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<NodeRecord> _nodes;
    private readonly ILiteCollection<ChallengeRecord> _challenges;
    private readonly ILiteCollection<AuditEntry> _audit;
    private readonly ILiteCollection<RejectionCount> _rejections;
    private readonly Lock[] _stripes = [.. Enumerable.Range(0, Stripes).Select(_ => new Lock())];
    private readonly Lock _writeGate = new();
    private readonly LiteDbCheckpointer? _checkpointer;
    private readonly Action<Exception>? _onFailure;
    private Exception? _failure;

    // How long a write waits for its checkpoint before the engine is taken as failed, unless LiteDB has
    // closed it before (LiteDbCheckpointer): a healthy checkpoint copies one enrolment's pages.
    private static readonly TimeSpan CheckpointBound = TimeSpan.FromSeconds(30);

    /// <summary>Opens (creating it if needed, unless <paramref name="readOnly"/>) the file.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="readOnly">Opened only to read (the offline commands).</param>
    /// <param name="onFailure">Told once, with the cause, when a write fails the store (see <see cref="Failure"/>).</param>
    /// <exception cref="RegistrarStoreInUseException">Another process (or store) holds the file.</exception>
    /// <exception cref="FileNotFoundException">Read-only, and there is no such file.</exception>
    public LiteDbRegistrarStore(string path, bool readOnly = false, Action<Exception>? onFailure = null)
        : this(path, readOnly, onFailure, null)
    {
    }

    /// <summary>Opens the file through <paramref name="openEngine"/> (tests: an engine over streams that fail
    /// like a full disk), or LiteDB's direct mode on <paramref name="path"/> when null.</summary>
    internal LiteDbRegistrarStore(string path, bool readOnly, Action<Exception>? onFailure, Func<LiteDatabase>? openEngine)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        ReadOnly = readOnly;
        if (readOnly && !File.Exists(Path))
        {
            throw new FileNotFoundException($"no registrar database at {Path}", Path);
        }

        if (!readOnly && System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } dir)
        {
            Directory.CreateDirectory(dir);
        }

        _lockFile = TakeLock(Path);
        try
        {
            _db = openEngine?.Invoke() ?? new LiteDatabase(new ConnectionString { Filename = Path, Connection = ConnectionType.Direct, ReadOnly = readOnly });
        }
        catch
        {
            _lockFile.Dispose();
            throw;
        }

        _nodes = _db.GetCollection<NodeRecord>("nodes");
        _challenges = _db.GetCollection<ChallengeRecord>("challenges");
        _audit = _db.GetCollection<AuditEntry>("audit");
        _rejections = _db.GetCollection<RejectionCount>("rejections");
        if (!readOnly)
        {
            // Every collection exists before the first unit: LiteDB 5 fails a read of a collection that
            // another transaction is creating at that moment ("page type must be collection page",
            // litedb-org/LiteDB#2792). nodes and rejections have no index of their own to create them,
            // so each gets one on a field written once (never rewritten by an update).
            _nodes.EnsureIndex(n => n.CreatedAt);
            _rejections.EnsureIndex(r => r.FirstAt);
            _challenges.EnsureIndex(c => c.RegistrationId);
            _challenges.EnsureIndex(c => c.ExpiresAt);
            _challenges.EnsureIndex(c => c.TpmHash);
            _audit.EnsureIndex(a => a.TpmHash);
            _checkpointer = new LiteDbCheckpointer(_db);
        }

        _onFailure = onFailure;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Opened only to read (the offline commands).</summary>
    public bool ReadOnly { get; }

    /// <inheritdoc/>
    public string Description => "litedb:" + Path;

    /// <summary>
    /// Why a write failed the store (null while it works). LiteDB 5 closes its engine for good when its
    /// writer meets an I/O error, and a rollback or checkpoint on that engine may never return, so the store
    /// touches it no more: every later unit fails at once with <see cref="RegistrarStoreFailedException"/>,
    /// and the service exits for a restart, which opens the file again once it can be written.
    /// </summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>The lock file that marks the database as held: <c>PATH.lock</c>.</summary>
    public static string LockPathOf(string path) => StoreFileLock.PathOf(path);

    /// <inheritdoc/>
    public IRegistrarUnit BeginNode(string tpmHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(tpmHash);
        ThrowIfFailed();
        Lock gate = _stripes[StripeOf(tpmHash)];
        gate.Enter();
        try
        {
            return new Unit(this, tpmHash, gate);
        }
        catch
        {
            gate.Exit();
            throw;
        }
    }

    /// <inheritdoc/>
    public NodeRecord? FindNode(string tpmHash) => _nodes.FindById(tpmHash);

    /// <inheritdoc/>
    public IReadOnlyList<NodeRecord> ListNodes() => _nodes.Query().OrderBy(n => n.TpmHash).ToList();

    /// <inheritdoc/>
    public IReadOnlyList<string> ListEnrolledTpmHashes() =>
        _nodes.Find(n => n.State == NodeState.Enrolled).Select(n => n.TpmHash).ToList();

    /// <inheritdoc/>
    public IReadOnlyList<NodeRecord> ListPendingNodes()
    {
        var enrolled = new HashSet<string>(_nodes.FindAll().Select(n => n.TpmHash), StringComparer.Ordinal);
        return PendingNodes.Group(_challenges.FindAll().Where(c => !enrolled.Contains(c.TpmHash)));
    }

    /// <inheritdoc/>
    public NodeRecord? FindPendingNode(string tpmHash)
    {
        if (_nodes.FindById(tpmHash) is not null)
        {
            return null;
        }

        List<ChallengeRecord> challenges = _challenges.Find(c => c.TpmHash == tpmHash).ToList();
        return challenges.Count == 0 ? null : PendingNodes.From(challenges);
    }

    /// <inheritdoc/>
    public ChallengeRecord? FindChallenge(Guid id) => _challenges.FindById(id);

    /// <inheritdoc/>
    public IReadOnlyList<ChallengeRecord> ListOpenChallenges(DateTime nowUtc) =>
        _challenges.Find(c => c.ExpiresAt > nowUtc).Where(c => c.UsedAt == null).ToList();

    /// <inheritdoc/>
    public int PurgeChallenges(DateTime nowUtc, TimeSpan keep)
    {
        DateTime cutoff = nowUtc - keep;
        return Transact(() =>
        {
            foreach (ChallengeRecord c in _challenges.Find(c => c.ExpiresAt <= nowUtc).Where(c => c.Secret.Length > 0).ToList())
            {
                c.Secret = [];
                _challenges.Update(c);
            }

            return _challenges.DeleteMany(c => c.ExpiresAt < cutoff);
        });
    }

    /// <inheritdoc/>
    public IReadOnlyList<AuditEntry> AuditOf(string tpmHash) =>
        _audit.Find(a => a.TpmHash == tpmHash).OrderBy(a => a.Id).ToList();

    /// <inheritdoc/>
    public void AddRejections(IReadOnlyDictionary<string, long> counts, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(counts);
        Transact(() =>
        {
            foreach ((string reason, long n) in counts)
            {
                RejectionCount c = _rejections.FindById(reason) ?? new RejectionCount { ReasonCode = reason, FirstAt = nowUtc };
                c.Count += n;
                c.LastAt = nowUtc;
                _rejections.Upsert(c);
            }

            return 0;
        });
    }

    /// <inheritdoc/>
    public IReadOnlyList<RejectionCount> RejectionCounts() =>
        _rejections.FindAll().OrderBy(c => c.ReasonCode, StringComparer.Ordinal).ToList();

    /// <inheritdoc/>
    public void Dispose()
    {
        _checkpointer?.Dispose();
        if (Failure is null)
        {
            _db.Dispose();
        }
        else
        {
            LiteDbFailedEngines.Keep(_db);
        }

        // The lock file stays: deleting it would race with a process opening it now.
        _lockFile.Dispose();
    }

    /// <summary>The node lock of a TPM hash, the same in every process and run (string hash codes are not).</summary>
    internal static int StripeOf(string tpmHash)
    {
        // A TPM hash is a hex SHA-256: its first byte is as uniform as any hash of it.
        if (tpmHash.Length >= 2 && byte.TryParse(tpmHash.AsSpan(0, 2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out byte first))
        {
            return first % Stripes;
        }

        uint h = 2166136261;
        foreach (char c in tpmHash)
        {
            h = (h ^ c) * 16777619;
        }

        return (int)(h % Stripes);
    }

    // One transaction under the write gate, in the file before it returns. LiteDB queues a commit's pages
    // for a background writer to the -log file and returns: an answer sent after the commit could outlive
    // a crash that loses the enrolment it reports. A checkpoint drains that queue and copies the pages
    // into the data file before the unit returns (the registrar commits at enrolment rates; measured in
    // the README), and a copy of the file taken after a unit committed holds it. An I/O error, or an
    // engine LiteDB closed meanwhile, fails the store (Failure); any other error rolls back.
    private T Transact<T>(Func<T> work)
    {
        lock (_writeGate)
        {
            ThrowIfFailed();
            _db.BeginTrans();
            try
            {
                T result = work();
                _db.Commit();
                _checkpointer!.Checkpoint(CheckpointBound);
                return result;
            }
            catch (Exception e) when (e is IOException || LiteDbCheckpointer.EngineClosed(_db))
            {
                throw Fail(LiteDbCheckpointer.EngineFailure(_db) ?? e);
            }
            catch
            {
                _db.Rollback();
                throw;
            }
        }
    }

    private RegistrarStoreFailedException Fail(Exception cause)
    {
        if (Interlocked.CompareExchange(ref _failure, cause, null) is null)
        {
            _onFailure?.Invoke(cause);
        }

        return new RegistrarStoreFailedException(Path, Failure!);
    }

    private void ThrowIfFailed()
    {
        if (Failure is { } failure)
        {
            throw new RegistrarStoreFailedException(Path, failure);
        }
    }

    private static FileStream TakeLock(string path) => StoreFileLock.Take(path, (p, e) => new RegistrarStoreInUseException(p, e));

    private void Apply(RegistrarUnitWrites w)
    {
        if (w.IsEmpty)
        {
            return;
        }

        Transact(() =>
        {
            foreach (ChallengeWrite c in w.Challenges.Values)
            {
                ChallengeRecord? stored = _challenges.FindById(c.Challenge.Id);
                if (c.Insert ? stored is not null : c.ReadUnused && stored?.UsedAt is not null)
                {
                    throw new RegistrarStoreConflictException(RegistrarUnit.ConflictMessageOf(c));
                }

                _challenges.Upsert(c.Challenge);
            }

            if (w.Node is not null)
            {
                _nodes.Upsert(w.Node);
            }

            foreach (AuditEntry a in w.Audit)
            {
                _audit.Insert(a);
            }

            return 0;
        });
    }

    private sealed class Unit : RegistrarUnit
    {
        private readonly LiteDbRegistrarStore _store;
        private readonly Lock _gate;

        public Unit(LiteDbRegistrarStore store, string tpmHash, Lock gate)
            : base(tpmHash)
        {
            _store = store;
            _gate = gate;
            Node = store._nodes.FindById(tpmHash);
        }

        protected override void Apply(RegistrarUnitWrites writes) => _store.Apply(writes);

        protected override void Release() => _gate.Exit();

        protected override ChallengeRecord? ReadChallenge(Guid id) => _store._challenges.FindById(id);
    }
}
