using KcryptPush.Storage;
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

    private static readonly PostgresMigrations Runner = new("verifier", Version, "schema_version", MigrationLock, Migrations);

    /// <summary>Brings the database to <see cref="Version"/> (read-only: only checks it is there).</summary>
    /// <exception cref="InvalidDataException">The schema is newer than this build, or not at this version when read-only.</exception>
    public static void Migrate(NpgsqlConnection conn, bool readOnly) => Runner.Migrate(conn, readOnly);

    /// <summary>The version applied (0: none).</summary>
    public static int CurrentVersion(NpgsqlConnection conn, NpgsqlTransaction? tx) => Runner.CurrentVersion(conn, tx);
}
