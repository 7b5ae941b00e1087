using KcryptPush.Storage;
using Npgsql;
using static KcryptPush.Storage.PostgresDocuments;

namespace KcryptPush.Registrar.Store;

/// <summary>
/// The store for several registrars on one database: PostgreSQL through Npgsql, schema created and
/// migrated by the service (<see cref="PostgresRegistrarSchema"/>, tables prefixed <c>registrar_</c>).
/// Records are the same classes as in LiteDB, kept as JSON documents beside the columns queries need.
/// A node's unit of work is a transaction that first takes a transaction-scoped advisory lock on the
/// TPM hash (<c>pg_advisory_xact_lock</c>, so units of one node wait for each other in every instance,
/// also for a node with no row yet) and reads each challenge <c>FOR UPDATE</c>; its writes are sent in
/// one batch at commit, where consuming a challenge is an update guarded by <c>NOT used</c> and a new
/// challenge an insert that must not find its id: a proof replayed to two registrars at once is
/// accepted by one, and the other finds the challenge used.
/// </summary>
public sealed class PostgresRegistrarStore : IRegistrarStore
{
    // pg_advisory_xact_lock(int, int) key space of the registrar's node locks: "kcrp" as ASCII
    // (the two-int keys do not overlap the single bigint keys of the migrations).
    private const int NodeLockClass = 0x6B637270;

    private const string InsertChallengeSql =
        "INSERT INTO registrar_challenges (id, tpm_hash, expires_at, used, has_secret, doc) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING";

    private const string UpdateChallengeSql =
        "UPDATE registrar_challenges SET expires_at = $3, used = $4, has_secret = $5, doc = $6 WHERE id = $1 AND tpm_hash = $2 AND (NOT $7 OR NOT used)";

    private readonly NpgsqlDataSource _source;

    /// <summary>Connects (keyword form <c>Host=...;Database=...</c> or a <c>postgresql://</c> URI) and
    /// creates or migrates the schema (read-only: checks it is current, creates nothing).</summary>
    /// <exception cref="InvalidDataException">The schema is newer than this registrar (or not current, read-only).</exception>
    public PostgresRegistrarStore(string connectionString, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(PostgresConnectionString.ToKeywords(connectionString));
        Description = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}";
        _source = NpgsqlDataSource.Create(builder);
        try
        {
            using NpgsqlConnection conn = _source.OpenConnection();
            PostgresRegistrarSchema.Migrate(conn, readOnly);
        }
        catch
        {
            _source.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public IRegistrarUnit BeginNode(string tpmHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(tpmHash);
        return new Unit(this, tpmHash);
    }

    /// <inheritdoc/>
    public NodeRecord? FindNode(string tpmHash) =>
        One<NodeRecord>("SELECT doc FROM registrar_nodes WHERE tpm_hash = $1", tpmHash);

    /// <inheritdoc/>
    public IReadOnlyList<NodeRecord> ListNodes() =>
        Many("SELECT doc FROM registrar_nodes ORDER BY tpm_hash", r => Read<NodeRecord>(r.GetString(0)));

    /// <inheritdoc/>
    public IReadOnlyList<string> ListEnrolledTpmHashes() =>
        Many("SELECT tpm_hash FROM registrar_nodes WHERE state = $1", r => r.GetString(0), (short)NodeState.Enrolled);

    /// <inheritdoc/>
    public IReadOnlyList<NodeRecord> ListPendingNodes() => PendingNodes.Group(Many(
        "SELECT doc FROM registrar_challenges c WHERE NOT EXISTS (SELECT 1 FROM registrar_nodes n WHERE n.tpm_hash = c.tpm_hash)",
        r => Read<ChallengeRecord>(r.GetString(0))));

    /// <inheritdoc/>
    public NodeRecord? FindPendingNode(string tpmHash)
    {
        List<ChallengeRecord> challenges = Many(
            "SELECT doc FROM registrar_challenges c WHERE tpm_hash = $1 AND NOT EXISTS (SELECT 1 FROM registrar_nodes n WHERE n.tpm_hash = c.tpm_hash)",
            r => Read<ChallengeRecord>(r.GetString(0)), tpmHash);
        return challenges.Count == 0 ? null : PendingNodes.From(challenges);
    }

    /// <inheritdoc/>
    public ChallengeRecord? FindChallenge(Guid id) =>
        One<ChallengeRecord>("SELECT doc FROM registrar_challenges WHERE id = $1", id);

    /// <inheritdoc/>
    public IReadOnlyList<ChallengeRecord> ListOpenChallenges(DateTime nowUtc) =>
        Many("SELECT doc FROM registrar_challenges WHERE expires_at > $1 AND NOT used", r => Read<ChallengeRecord>(r.GetString(0)), Ticks(nowUtc));

    /// <inheritdoc/>
    public int PurgeChallenges(DateTime nowUtc, TimeSpan keep)
    {
        using NpgsqlConnection conn = _source.OpenConnection();
        using NpgsqlTransaction tx = conn.BeginTransaction();

        // The secret is wiped inside the database, not from a document read before: a unit consuming
        // the challenge meanwhile (it wipes the secret too) is not overwritten with an older document.
        using (var wipe = new NpgsqlCommand(
            "UPDATE registrar_challenges SET doc = jsonb_set(doc::jsonb, '{Secret}', '\"\"')::text, has_secret = false WHERE expires_at <= $1 AND has_secret", conn, tx))
        {
            wipe.Parameters.Add(new NpgsqlParameter { Value = Ticks(nowUtc) });
            wipe.ExecuteNonQuery();
        }

        int deleted;
        using (var delete = new NpgsqlCommand("DELETE FROM registrar_challenges WHERE expires_at < $1", conn, tx))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = Ticks(nowUtc - keep) });
            deleted = delete.ExecuteNonQuery();
        }

        tx.Commit();
        return deleted;
    }

    /// <inheritdoc/>
    public IReadOnlyList<AuditEntry> AuditOf(string tpmHash) =>
        Many("SELECT id, doc FROM registrar_audit WHERE tpm_hash = $1 ORDER BY id", r => WithId(Read<AuditEntry>(r.GetString(1)), r.GetInt64(0)), tpmHash);

    /// <inheritdoc/>
    public void AddRejections(IReadOnlyDictionary<string, long> counts, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Count == 0)
        {
            return;
        }

        using NpgsqlConnection conn = _source.OpenConnection();
        using NpgsqlTransaction tx = conn.BeginTransaction();
        using var batch = new NpgsqlBatch(conn, tx);
        foreach ((string reason, long n) in counts)
        {
            batch.BatchCommands.Add(Command(
                "INSERT INTO registrar_rejections (reason_code, count, first_at, last_at) VALUES ($1, $2, $3, $3) "
                + "ON CONFLICT (reason_code) DO UPDATE SET count = registrar_rejections.count + excluded.count, last_at = excluded.last_at",
                reason, n, Ticks(nowUtc)));
        }

        batch.ExecuteNonQuery();
        tx.Commit();
    }

    /// <inheritdoc/>
    public IReadOnlyList<RejectionCount> RejectionCounts() =>
        Many("SELECT reason_code, count, first_at, last_at FROM registrar_rejections ORDER BY reason_code COLLATE \"C\"", r => new RejectionCount
        {
            ReasonCode = r.GetString(0),
            Count = r.GetInt64(1),
            FirstAt = new DateTime(r.GetInt64(2), DateTimeKind.Utc),
            LastAt = new DateTime(r.GetInt64(3), DateTimeKind.Utc),
        });

    /// <inheritdoc/>
    public void Dispose() => _source.Dispose();

    private static AuditEntry WithId(AuditEntry entry, long id)
    {
        entry.Id = id;
        return entry;
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] args)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        foreach (object a in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        }

        return cmd;
    }

    private static NpgsqlBatchCommand ChallengeCommand(ChallengeWrite w) => w.Insert
        ? Command(InsertChallengeSql, w.Challenge.Id, w.Challenge.TpmHash, Ticks(w.Challenge.ExpiresAt), w.Challenge.UsedAt is not null,
            w.Challenge.Secret.Length > 0, Write(w.Challenge))
        : Command(UpdateChallengeSql, w.Challenge.Id, w.Challenge.TpmHash, Ticks(w.Challenge.ExpiresAt), w.Challenge.UsedAt is not null,
            w.Challenge.Secret.Length > 0, Write(w.Challenge), w.ReadUnused);

    private T? One<T>(string sql, params object[] args)
        where T : class
    {
        using NpgsqlConnection conn = _source.OpenConnection();
        return One<T>(conn, null, sql, args);
    }

    // The store's own name hides PostgresDocuments.One from the using static.
    private static T? One<T>(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, params object[] args)
        where T : class => PostgresDocuments.One<T>(conn, tx, sql, args);

    private List<T> Many<T>(string sql, Func<NpgsqlDataReader, T> map, params object[] args)
    {
        using NpgsqlConnection conn = _source.OpenConnection();
        return PostgresDocuments.Many(conn, sql, map, args);
    }

    private sealed class Unit : RegistrarUnit
    {
        private readonly NpgsqlConnection _conn;
        private NpgsqlTransaction? _tx;

        public Unit(PostgresRegistrarStore store, string tpmHash)
            : base(tpmHash)
        {
            _conn = store._source.OpenConnection();
            try
            {
                _tx = _conn.BeginTransaction();
                using (var lockNode = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({NodeLockClass}, hashtext($1))", _conn, _tx))
                {
                    lockNode.Parameters.Add(new NpgsqlParameter { Value = tpmHash });
                    lockNode.ExecuteNonQuery();
                }

                // Read after the lock: READ COMMITTED gives each statement a fresh snapshot, so this sees
                // what the unit that held the node before committed.
                Node = One<NodeRecord>(_conn, _tx, "SELECT doc FROM registrar_nodes WHERE tpm_hash = $1", tpmHash);
            }
            catch
            {
                _tx?.Dispose();
                _conn.Dispose();
                throw;
            }
        }

        protected override ChallengeRecord? ReadChallenge(Guid id) =>
            One<ChallengeRecord>(_conn, _tx, "SELECT doc FROM registrar_challenges WHERE id = $1 FOR UPDATE", id);

        protected override void Apply(RegistrarUnitWrites w)
        {
            NpgsqlTransaction tx = _tx ?? throw new InvalidOperationException($"the unit of {TpmHash} was committed already");
            using var batch = new NpgsqlBatch(_conn, tx);
            var guarded = new List<(NpgsqlBatchCommand Command, ChallengeWrite Write)>();
            foreach (ChallengeWrite c in w.Challenges.Values)
            {
                NpgsqlBatchCommand cmd = ChallengeCommand(c);
                batch.BatchCommands.Add(cmd);
                guarded.Add((cmd, c));
            }

            if (w.Node is { } node)
            {
                batch.BatchCommands.Add(Command(
                    "INSERT INTO registrar_nodes (tpm_hash, state, doc) VALUES ($1, $2, $3) ON CONFLICT (tpm_hash) DO UPDATE SET state = excluded.state, doc = excluded.doc",
                    node.TpmHash, (short)node.State, Write(node)));
            }

            foreach (AuditEntry a in w.Audit)
            {
                batch.BatchCommands.Add(Command("INSERT INTO registrar_audit (tpm_hash, doc) VALUES ($1, $2)", a.TpmHash, Write(a)));
            }

            if (batch.BatchCommands.Count > 0)
            {
                batch.ExecuteNonQuery();
            }

            foreach ((NpgsqlBatchCommand cmd, ChallengeWrite c) in guarded)
            {
                if (cmd.RecordsAffected != 1)
                {
                    // Nothing is committed: the transaction is rolled back when the unit is disposed.
                    throw new RegistrarStoreConflictException(ConflictMessageOf(c));
                }
            }

            tx.Commit();
            tx.Dispose();
            _tx = null;
        }

        protected override void Release()
        {
            try
            {
                _tx?.Dispose(); // rolls back what was not committed, and releases the advisory lock
            }
            finally
            {
                _conn.Dispose();
            }
        }
    }
}
