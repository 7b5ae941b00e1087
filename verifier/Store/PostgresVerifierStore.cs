using KcryptPush.Contracts.V1;
using KcryptPush.Storage;
using KcryptPush.Verifier.Enrolment;
using Npgsql;
using NpgsqlTypes;
using static KcryptPush.Storage.PostgresDocuments;

namespace KcryptPush.Verifier.Store;

/// <summary>
/// The store for several verifier instances: PostgreSQL through Npgsql, schema created and migrated by
/// the service (<see cref="PostgresVerifierSchema"/>). Records are the same classes as in LiteDB, kept as
/// JSON documents beside the columns queries need. A node's unit of work is a transaction that first
/// takes the row lock of the node's <c>node_attestation</c> row (<c>SELECT ... FOR UPDATE</c>; the row is
/// created empty when the node has none, inside the same transaction), so units of one node are
/// serialised across every instance on the database; the writes are sent in one batch at commit.
/// Secrets are stored sealed (<see cref="SecretAtRestKey"/>): a copy of the database reveals none.
/// </summary>
public sealed class PostgresVerifierStore : IVerifierStore
{
    private readonly NpgsqlDataSource _source;

    /// <summary>Connects (keyword form <c>Host=...;Database=...</c> or a <c>postgresql://</c> URI) and
    /// creates or migrates the schema (unless read-only).</summary>
    public PostgresVerifierStore(string connectionString, VerifierStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        Options = options ?? new VerifierStoreOptions();
        var builder = new NpgsqlConnectionStringBuilder(PostgresConnectionString.ToKeywords(connectionString));
        Description = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}";
        _source = NpgsqlDataSource.Create(builder);
        try
        {
            using NpgsqlConnection conn = _source.OpenConnection();
            PostgresVerifierSchema.Migrate(conn, Options.ReadOnly);
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
    public VerifierStoreOptions Options { get; }

    /// <inheritdoc/>
    public IVerifierUnit BeginNode(string tpmHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(tpmHash);
        return new Unit(this, tpmHash);
    }

    /// <inheritdoc/>
    public VerifierNode? FindNode(string tpmHash) =>
        One<VerifierNode>("SELECT doc FROM nodes WHERE tpm_hash = $1", tpmHash);

    /// <inheritdoc/>
    public IReadOnlyList<VerifierNode> ListNodes() =>
        Many("SELECT doc FROM nodes ORDER BY tpm_hash", r => Read<VerifierNode>(r.GetString(0)));

    /// <inheritdoc/>
    public IReadOnlyList<VerifierEnrolmentEvent> EnrolmentEvents(string tpmHash) =>
        Many("SELECT id, doc FROM enrolment_audit WHERE tpm_hash = $1 ORDER BY id", r => WithId(Read<VerifierEnrolmentEvent>(r.GetString(1)), r.GetInt64(0)), tpmHash);

    /// <inheritdoc/>
    public NodeAttestation? FindAttestation(string tpmHash) =>
        One<NodeAttestation>("SELECT doc FROM node_attestation WHERE tpm_hash = $1 AND doc IS NOT NULL", tpmHash);

    /// <inheritdoc/>
    public IReadOnlyList<NodeAttestation> AllAttestations() =>
        Many("SELECT doc FROM node_attestation WHERE doc IS NOT NULL ORDER BY tpm_hash", r => Read<NodeAttestation>(r.GetString(0)));

    /// <inheritdoc/>
    public IReadOnlyList<string> NodesWithPendingVerdicts() =>
        Many("SELECT tpm_hash FROM node_attestation WHERE pending_verdicts > 0", r => r.GetString(0));

    /// <inheritdoc/>
    /// <remarks>Reads three fields of each enrolled node that is not Silent or Terminated, not its
    /// documents; the times are compared here, read as the documents' own deserializer reads them.</remarks>
    public IReadOnlyList<QuietNode> QuietNodes(DateTime heardUntilUtc)
    {
        DateTime until = heardUntilUtc.ToUniversalTime();
        return Many(
            """
            SELECT n.tpm_hash, n.doc::json->>'CreatedAt', a.doc::json->>'LastEvidenceAt'
            FROM nodes n LEFT JOIN node_attestation a ON a.tpm_hash = n.tpm_hash AND a.doc IS NOT NULL
            WHERE a.doc IS NULL OR (a.doc::json->>'State') NOT IN ($1, $2)
            """,
            r => new QuietNode(r.GetString(0), JsonTime(r.IsDBNull(2) ? r.GetString(1) : r.GetString(2))),
            NodeStates.Silent, NodeStates.Terminated)
            .Where(q => q.LastHeard <= until)
            .ToList();
    }

    /// <inheritdoc/>
    public FleetCounts CountFleet()
    {
        var byState = Many(
            """
            SELECT COALESCE(a.doc::json->>'State', $1), count(*)
            FROM nodes n LEFT JOIN node_attestation a ON a.tpm_hash = n.tpm_hash AND a.doc IS NOT NULL
            GROUP BY 1
            """,
            r => (State: r.GetString(0), Count: r.GetInt64(1)),
            NodeStates.Pending).ToDictionary(c => c.State, c => c.Count, StringComparer.Ordinal);

        // Owed events are few and the outbox's partial index finds their records.
        List<DateTime> owed = [.. Many("SELECT doc FROM node_attestation WHERE pending_verdicts > 0 AND doc IS NOT NULL", r => Read<NodeAttestation>(r.GetString(0)))
            .SelectMany(a => a.PendingVerdicts ?? [])
            .Select(p => p.CreatedAt.ToUniversalTime())];
        return new FleetCounts(byState, owed.Count, owed.Count == 0 ? null : owed.Min());
    }

    // A DateTime field of a document, as Read<T> would deserialize it, in UTC.
    private static DateTime JsonTime(string text) => Read<DateTime>("\"" + text + "\"").ToUniversalTime();

    /// <inheritdoc/>
    public ChallengeRecord? FindChallenge(Guid id) =>
        One<ChallengeRecord>("SELECT doc FROM challenges WHERE id = $1", id);

    /// <inheritdoc/>
    public void AddChallenge(ChallengeRecord challenge)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        using NpgsqlConnection conn = _source.OpenConnection();
        using var cmd = new NpgsqlCommand(UpsertChallengeSql, conn);
        AddChallengeParameters(cmd.Parameters, challenge);
        cmd.ExecuteNonQuery();
    }

    /// <inheritdoc/>
    public int PruneChallenges(DateTime cutoffUtc)
    {
        using NpgsqlConnection conn = _source.OpenConnection();
        using var cmd = new NpgsqlCommand("DELETE FROM challenges WHERE expires_at < $1", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = Ticks(cutoffUtc) });
        return cmd.ExecuteNonQuery();
    }

    /// <inheritdoc/>
    public IReadOnlyList<HistoryRecord> History(string tpmHash, int limit = int.MaxValue) =>
        Many("SELECT id, doc FROM history WHERE tpm_hash = $1 ORDER BY id DESC LIMIT $2", r => WithId(Read<HistoryRecord>(r.GetString(1)), r.GetInt64(0)), tpmHash, (long)limit);

    /// <inheritdoc/>
    public IReadOnlyList<AuditRecord> Audit(string tpmHash, int limit = int.MaxValue) =>
        Many("SELECT id, doc FROM audit WHERE tpm_hash = $1 ORDER BY id DESC LIMIT $2", r => WithId(Read<AuditRecord>(r.GetString(1)), r.GetInt64(0)), tpmHash, (long)limit);

    /// <inheritdoc/>
    public EventLogRecord? FindLog(string tpmHash, ReadOnlySpan<byte> sha256)
    {
        using NpgsqlConnection conn = _source.OpenConnection();
        return ReadLog(conn, null, NodeUnit.LogId(tpmHash, sha256));
    }

    /// <inheritdoc/>
    public SecretRecord? FindSecret(string tpmHash, string label) =>
        One<SecretRecord>("SELECT doc FROM secrets WHERE tpm_hash = $1 AND label = $2", tpmHash, label);

    /// <inheritdoc/>
    public IReadOnlyList<string> SecretLabels(string tpmHash) =>
        Many("SELECT label FROM secrets WHERE tpm_hash = $1", r => r.GetString(0), tpmHash).Order(StringComparer.Ordinal).ToList();

    /// <inheritdoc/>
    public byte[]? OpenSecret(string tpmHash, string label) => NodeUnit.Open(Options, FindSecret(tpmHash, label));

    /// <inheritdoc/>
    public int SealPlaintextSecrets()
    {
        SecretAtRestKey key = NodeUnit.RequireSecretKey(Options);
        var plain = Many("SELECT doc FROM secrets", r => Read<SecretRecord>(r.GetString(0))).Where(s => !s.IsSealed).ToList();
        foreach (SecretRecord record in plain)
        {
            byte[] plaintext = record.Value;
            key.Seal(record, plaintext);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plaintext);
            using NpgsqlConnection conn = _source.OpenConnection();
            using var cmd = new NpgsqlCommand("UPDATE secrets SET doc = $3 WHERE tpm_hash = $1 AND label = $2", conn);
            cmd.Parameters.Add(new NpgsqlParameter { Value = record.TpmHash });
            cmd.Parameters.Add(new NpgsqlParameter { Value = record.Label });
            cmd.Parameters.Add(new NpgsqlParameter { Value = Write(record) });
            cmd.ExecuteNonQuery();
        }

        return plain.Count;
    }

    /// <inheritdoc/>
    public bool Shared => true;

    /// <inheritdoc/>
    public bool TryHoldLease(string name, string holder, TimeSpan ttl, DateTime nowUtc)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(holder);
        // One statement, so two instances asking at once cannot both win: the row's lock orders them,
        // and the second sees the first's holder and expiry.
        using NpgsqlConnection conn = _source.OpenConnection();
        using var cmd = new NpgsqlCommand(
            """
            INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $4)
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE leases.holder = excluded.holder OR leases.expires_at <= $3
            RETURNING holder
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = name });
        cmd.Parameters.Add(new NpgsqlParameter { Value = holder });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Ticks(nowUtc) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Ticks(nowUtc + ttl) });
        return cmd.ExecuteScalar() is string;
    }

    /// <inheritdoc/>
    public void Dispose() => _source.Dispose();

    private const string UpsertChallengeSql =
        "INSERT INTO challenges (id, tpm_hash, expires_at, doc) VALUES ($1, $2, $3, $4) "
        + "ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, doc = excluded.doc";

    private static void AddChallengeParameters(NpgsqlParameterCollection p, ChallengeRecord c)
    {
        p.Add(new NpgsqlParameter { Value = c.Id });
        p.Add(new NpgsqlParameter { Value = c.TpmHash });
        p.Add(new NpgsqlParameter { Value = Ticks(c.ExpiresAt) });
        p.Add(new NpgsqlParameter { Value = Write(c) });
    }

    private static T WithId<T>(T record, long id)
    {
        switch (record)
        {
            case HistoryRecord h: h.Id = id; break;
            case AuditRecord a: a.Id = id; break;
            case VerifierEnrolmentEvent e: e.Id = id; break;
        }

        return record;
    }

    private static EventLogRecord? ReadLog(NpgsqlConnection conn, NpgsqlTransaction? tx, string id)
    {
        using var cmd = new NpgsqlCommand("SELECT tpm_hash, sha256, log, last_used_at FROM event_logs WHERE id = $1", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        using NpgsqlDataReader r = cmd.ExecuteReader();
        return r.Read()
            ? new EventLogRecord { Id = id, TpmHash = r.GetString(0), Sha256 = (byte[])r[1], Log = (byte[])r[2], LastUsedAt = new DateTime(r.GetInt64(3), DateTimeKind.Utc) }
            : null;
    }

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

    private sealed class Unit : NodeUnit
    {
        private readonly VerifierStoreOptions _options;
        private readonly NpgsqlConnection _conn;
        private NpgsqlTransaction? _tx;

        public Unit(PostgresVerifierStore store, string tpmHash)
            : base(tpmHash, store.Options)
        {
            _options = store.Options;
            _conn = store._source.OpenConnection();
            try
            {
                _tx = _conn.BeginTransaction();

                // The lock row exists from the first unit of the node on (doc NULL until a record is
                // saved): FOR UPDATE then waits for any other unit of the node, in any instance.
                using var batch = new NpgsqlBatch(_conn, _tx);
                batch.BatchCommands.Add(Command("INSERT INTO node_attestation (tpm_hash) VALUES ($1) ON CONFLICT (tpm_hash) DO NOTHING", tpmHash));
                batch.BatchCommands.Add(Command("SELECT doc AS attestation FROM node_attestation WHERE tpm_hash = $1 FOR UPDATE", tpmHash));
                batch.BatchCommands.Add(Command("SELECT doc AS node FROM nodes WHERE tpm_hash = $1", tpmHash));
                using NpgsqlDataReader r = batch.ExecuteReader();

                // Npgsql skips the INSERT's (row-less) result: tell the two selects by their column name.
                do
                {
                    if (r.FieldCount == 1 && r.Read() && !r.IsDBNull(0))
                    {
                        if (r.GetName(0) == "attestation")
                        {
                            Attestation = Read<NodeAttestation>(r.GetString(0));
                        }
                        else
                        {
                            Node = Read<VerifierNode>(r.GetString(0));
                        }
                    }
                }
                while (r.NextResult());
            }
            catch
            {
                _tx?.Dispose();
                _conn.Dispose();
                throw;
            }
        }

        protected override ChallengeRecord? ReadChallenge(Guid id) => One<ChallengeRecord>(_conn, _tx, "SELECT doc FROM challenges WHERE id = $1", id);

        protected override EventLogRecord? ReadLog(string id) => PostgresVerifierStore.ReadLog(_conn, _tx, id);

        protected override SecretRecord? ReadSecret(string id)
        {
            string label = id[(TpmHash.Length + 1)..];
            return One<SecretRecord>(_conn, _tx, "SELECT doc FROM secrets WHERE tpm_hash = $1 AND label = $2", TpmHash, label);
        }

        protected override void Apply(UnitWrites w)
        {
            NpgsqlTransaction tx = _tx ?? throw new InvalidOperationException($"the unit of {TpmHash} was committed already");
            using var batch = new NpgsqlBatch(_conn, tx);
            string h = TpmHash;
            if (w.Deleted)
            {
                foreach (string table in new[] { "nodes", "secrets", "history", "event_logs", "challenges" })
                {
                    batch.BatchCommands.Add(Command($"DELETE FROM {table} WHERE tpm_hash = $1", h));
                }

                batch.BatchCommands.Add(Command("UPDATE node_attestation SET doc = NULL, pending_verdicts = 0, version = version + 1 WHERE tpm_hash = $1", h));
            }

            if (w.Node is { } node)
            {
                batch.BatchCommands.Add(Command("INSERT INTO nodes (tpm_hash, doc) VALUES ($1, $2) ON CONFLICT (tpm_hash) DO UPDATE SET doc = excluded.doc", h, Write(node)));
            }

            foreach (VerifierEnrolmentEvent e in w.EnrolmentEvents)
            {
                batch.BatchCommands.Add(Command("INSERT INTO enrolment_audit (tpm_hash, doc) VALUES ($1, $2)", h, Write(e)));
            }

            if (w.Attestation is { } rec)
            {
                batch.BatchCommands.Add(Command("UPDATE node_attestation SET doc = $2, pending_verdicts = $3, version = version + 1 WHERE tpm_hash = $1",
                    h, Write(rec), rec.PendingVerdicts?.Count ?? 0));
            }

            foreach (ChallengeRecord c in w.Challenges.Values)
            {
                var cmd = new NpgsqlBatchCommand(UpsertChallengeSql);
                AddChallengeParameters(cmd.Parameters, c);
                batch.BatchCommands.Add(cmd);
            }

            if (w.Logs.Count > 0)
            {
                foreach (EventLogRecord l in w.Logs.Values)
                {
                    batch.BatchCommands.Add(Command(
                        "INSERT INTO event_logs (id, tpm_hash, sha256, log, last_used_at) VALUES ($1, $2, $3, $4, $5) "
                        + "ON CONFLICT (id) DO UPDATE SET log = excluded.log, last_used_at = excluded.last_used_at",
                        l.Id, h, l.Sha256, l.Log, Ticks(l.LastUsedAt)));
                }

                batch.BatchCommands.Add(Command(
                    "DELETE FROM event_logs WHERE tpm_hash = $1 AND id NOT IN (SELECT id FROM event_logs WHERE tpm_hash = $1 ORDER BY last_used_at DESC, id LIMIT $2)",
                    h, (long)_options.LogsPerNode));
            }

            foreach ((string id, DateTime at) in w.TouchedLogs)
            {
                batch.BatchCommands.Add(Command("UPDATE event_logs SET last_used_at = $2 WHERE id = $1", id, Ticks(at)));
            }

            foreach (SecretRecord s in w.Secrets.Values)
            {
                batch.BatchCommands.Add(Command(
                    "INSERT INTO secrets (tpm_hash, label, doc) VALUES ($1, $2, $3) ON CONFLICT (tpm_hash, label) DO UPDATE SET doc = excluded.doc",
                    h, s.Label, Write(s)));
            }

            if (w.History.Count > 0)
            {
                foreach (HistoryRecord r in w.History)
                {
                    batch.BatchCommands.Add(Command("INSERT INTO history (tpm_hash, doc) VALUES ($1, $2)", h, Write(r)));
                }

                batch.BatchCommands.Add(Command(
                    "DELETE FROM history WHERE tpm_hash = $1 AND id < (SELECT min(id) FROM (SELECT id FROM history WHERE tpm_hash = $1 ORDER BY id DESC LIMIT $2) newest)",
                    h, (long)_options.HistoryLength));
            }

            foreach (AuditRecord a in w.Audit)
            {
                batch.BatchCommands.Add(Command("INSERT INTO audit (tpm_hash, doc) VALUES ($1, $2)", h, Write(a)));
            }

            if (batch.BatchCommands.Count > 0)
            {
                batch.ExecuteNonQuery();
            }

            tx.Commit();
            tx.Dispose();
            _tx = null;
        }

        protected override void Release()
        {
            try
            {
                _tx?.Dispose(); // rolls back what was not committed, and with it the lock row's insertion
            }
            finally
            {
                _conn.Dispose();
            }
        }

        private static NpgsqlBatchCommand Command(string sql, params object[] args)
        {
            var cmd = new NpgsqlBatchCommand(sql);
            foreach (object a in args)
            {
                cmd.Parameters.Add(a is byte[] bytes
                    ? new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea, Value = bytes }
                    : new NpgsqlParameter { Value = a });
            }

            return cmd;
        }
    }
}
