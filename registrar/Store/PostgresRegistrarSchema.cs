using KcryptPush.Storage;
using Npgsql;

namespace KcryptPush.Registrar.Store;

/// <summary>
/// The registrar's tables in PostgreSQL, created and migrated by the service itself. Every name starts
/// with <c>registrar_</c>, so the registrar may share a database with the verifier (whose tables,
/// <c>schema_version</c> among them, are unprefixed): <c>registrar_schema_version</c> holds the version
/// applied, and each migration runs once, in order, in one transaction under an advisory lock, so
/// registrars starting together on an empty database do not race. Migration 1 creates every table.
/// Records are kept as JSON documents (<c>doc</c>) of the same classes the LiteDB store keeps, beside
/// the columns queries and guarded updates need.
/// </summary>
public static class PostgresRegistrarSchema
{
    /// <summary>The version this build writes and understands.</summary>
    public const int Version = 1;

    /// <summary>The table holding the version applied.</summary>
    public const string VersionTable = "registrar_schema_version";

    // pg_advisory_xact_lock key: "kcrypt-r" as ASCII (the verifier's is "kcrypt-v").
    private const long MigrationLock = 0x6B63727970742D72;

    private static readonly string[] Migrations =
    [
        // 1: create
        """
        CREATE TABLE registrar_nodes (tpm_hash text PRIMARY KEY, state smallint NOT NULL, doc text NOT NULL);
        CREATE TABLE registrar_challenges (
            id uuid PRIMARY KEY,
            tpm_hash text NOT NULL,
            expires_at bigint NOT NULL,
            used boolean NOT NULL,
            has_secret boolean NOT NULL,
            doc text NOT NULL);
        CREATE INDEX registrar_challenges_expiry ON registrar_challenges (expires_at);
        CREATE INDEX registrar_challenges_node ON registrar_challenges (tpm_hash);
        CREATE TABLE registrar_audit (id bigserial PRIMARY KEY, tpm_hash text NOT NULL, doc text NOT NULL);
        CREATE INDEX registrar_audit_node ON registrar_audit (tpm_hash, id);
        CREATE TABLE registrar_rejections (reason_code text PRIMARY KEY, count bigint NOT NULL, first_at bigint NOT NULL, last_at bigint NOT NULL);
        """,
    ];

    private static readonly PostgresMigrations Runner = new("registrar", Version, VersionTable, MigrationLock, Migrations);

    /// <summary>Brings the database to <see cref="Version"/> (read-only: only checks it is there).</summary>
    /// <exception cref="InvalidDataException">The schema is newer than this build, or not at this version when read-only.</exception>
    public static void Migrate(NpgsqlConnection conn, bool readOnly) => Runner.Migrate(conn, readOnly);

    /// <summary>The version applied (0: none).</summary>
    public static int CurrentVersion(NpgsqlConnection conn, NpgsqlTransaction? tx) => Runner.CurrentVersion(conn, tx);
}
