using Npgsql;

namespace KcryptPush.Verifier.Store;

/// <summary>
/// The verifier's tables in PostgreSQL, created and migrated by the service itself: <c>schema_version</c>
/// holds the version applied, and each migration runs once, in order, in one transaction under an
/// advisory lock, so instances starting together on an empty database do not race.
/// Migration 1 creates every table. Records are kept as JSON documents (<c>doc</c>) of the same classes
/// the LiteDB store keeps, beside the columns the queries need.
/// </summary>
public static class PostgresVerifierSchema
{
    /// <summary>The version this build writes and understands.</summary>
    public const int Version = 2;

    // pg_advisory_xact_lock key: "kcrypt-v" as ASCII, any fixed number would do.
    private const long MigrationLock = 0x6B63727970742D76;

    private static readonly string[] Migrations =
    [
        // 1: create
        """
        CREATE TABLE nodes (tpm_hash text PRIMARY KEY, doc text NOT NULL);
        CREATE TABLE enrolment_audit (id bigserial PRIMARY KEY, tpm_hash text NOT NULL, doc text NOT NULL);
        CREATE INDEX enrolment_audit_node ON enrolment_audit (tpm_hash, id);
        CREATE TABLE node_attestation (
            tpm_hash text PRIMARY KEY,
            doc text NULL,
            pending_verdicts integer NOT NULL DEFAULT 0,
            version bigint NOT NULL DEFAULT 0);
        CREATE INDEX node_attestation_outbox ON node_attestation (tpm_hash) WHERE pending_verdicts > 0;
        CREATE TABLE challenges (id uuid PRIMARY KEY, tpm_hash text NOT NULL, expires_at bigint NOT NULL, doc text NOT NULL);
        CREATE INDEX challenges_expiry ON challenges (expires_at);
        CREATE INDEX challenges_node ON challenges (tpm_hash);
        CREATE TABLE history (id bigserial PRIMARY KEY, tpm_hash text NOT NULL, doc text NOT NULL);
        CREATE INDEX history_node ON history (tpm_hash, id);
        CREATE TABLE audit (id bigserial PRIMARY KEY, tpm_hash text NOT NULL, doc text NOT NULL);
        CREATE INDEX audit_node ON audit (tpm_hash, id);
        CREATE TABLE secrets (tpm_hash text NOT NULL, label text NOT NULL, doc text NOT NULL, PRIMARY KEY (tpm_hash, label));
        CREATE TABLE event_logs (id text PRIMARY KEY, tpm_hash text NOT NULL, sha256 bytea NOT NULL, log bytea NOT NULL, last_used_at bigint NOT NULL);
        CREATE INDEX event_logs_node ON event_logs (tpm_hash, last_used_at);
        """,

        // 2: leases (the silence scan and the outbox's rescan run on one instance at a time)
        """
        CREATE TABLE leases (name text PRIMARY KEY, holder text NOT NULL, expires_at bigint NOT NULL);
        """,
    ];

    /// <summary>Brings the database to <see cref="Version"/> (read-only: only checks it is there).</summary>
    /// <exception cref="InvalidDataException">The schema is newer than this build, or missing when read-only.</exception>
    public static void Migrate(NpgsqlConnection conn, bool readOnly)
    {
        ArgumentNullException.ThrowIfNull(conn);
        if (readOnly)
        {
            int found = CurrentVersion(conn, null);
            if (found != Version)
            {
                throw new InvalidDataException(
                    $"the verifier schema in {conn.Database} is at version {found}, this verifier needs {Version}: start the service once to create or migrate it");
            }

            return;
        }

        using NpgsqlTransaction tx = conn.BeginTransaction();
        Execute(conn, tx, $"SELECT pg_advisory_xact_lock({MigrationLock})");
        Execute(conn, tx, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)");
        int current = CurrentVersion(conn, tx);
        if (current > Version)
        {
            throw new InvalidDataException(
                $"the verifier schema in {conn.Database} is at version {current}, newer than this verifier's {Version}: run the newer verifier");
        }

        for (int v = current + 1; v <= Version; v++)
        {
            Execute(conn, tx, Migrations[v - 1]);
        }

        if (current != Version)
        {
            Execute(conn, tx, $"DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES ({Version})");
        }

        tx.Commit();
    }

    /// <summary>The version applied (0: none).</summary>
    public static int CurrentVersion(NpgsqlConnection conn, NpgsqlTransaction? tx)
    {
        ArgumentNullException.ThrowIfNull(conn);
        using (var exists = new NpgsqlCommand("SELECT to_regclass('schema_version') IS NOT NULL", conn, tx))
        {
            if (exists.ExecuteScalar() is not true)
            {
                return 0;
            }
        }

        using var cmd = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM schema_version", conn, tx);
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Execute(NpgsqlConnection conn, NpgsqlTransaction tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, conn, tx);
        cmd.ExecuteNonQuery();
    }
}
