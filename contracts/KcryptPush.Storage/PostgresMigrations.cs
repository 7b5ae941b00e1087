using System.Globalization;
using Npgsql;

namespace KcryptPush.Storage;

/// <summary>
/// A service's schema in PostgreSQL, created and migrated by the service itself: <see cref="VersionTable"/>
/// holds the version applied, and each migration runs once, in order, in one transaction under the
/// service's own advisory lock, so instances starting together on an empty database do not race. The
/// registrar and the verifier each keep their own table, lock key and migrations, so they may share
/// a database without touching each other's schema.
/// </summary>
public sealed class PostgresMigrations
{
    private readonly string _service;
    private readonly string _versionTable;
    private readonly long _lockKey;
    private readonly string[] _migrations;

    /// <summary>The runner of one service's migrations.</summary>
    /// <param name="service">The service in error messages ("registrar", "verifier").</param>
    /// <param name="version">The version this build writes: the count of <paramref name="migrations"/>, checked.</param>
    /// <param name="versionTable">The table holding the version applied.</param>
    /// <param name="lockKey">The <c>pg_advisory_xact_lock</c> key the migration runs under.</param>
    /// <param name="migrations">Migration N is element N-1.</param>
    /// <exception cref="ArgumentException">A version without its migration, or a migration without its version.</exception>
    public PostgresMigrations(string service, int version, string versionTable, long lockKey, IReadOnlyList<string> migrations)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(versionTable);
        ArgumentNullException.ThrowIfNull(migrations);
        if (version != migrations.Count)
        {
            throw new ArgumentException($"{service} schema version {version} with {migrations.Count} migrations", nameof(version));
        }

        _service = service;
        _versionTable = versionTable;
        _lockKey = lockKey;
        _migrations = [.. migrations];
        Version = version;
    }

    /// <summary>The version this build writes and understands.</summary>
    public int Version { get; }

    /// <summary>The table holding the version applied.</summary>
    public string VersionTable => _versionTable;

    /// <summary>Brings the database to <see cref="Version"/> (read-only: only checks it is there).</summary>
    /// <exception cref="InvalidDataException">The schema is newer than this build, or not at this version when read-only.</exception>
    public void Migrate(NpgsqlConnection conn, bool readOnly)
    {
        ArgumentNullException.ThrowIfNull(conn);
        if (readOnly)
        {
            int found = CurrentVersion(conn, null);
            if (found != Version)
            {
                throw new InvalidDataException(
                    $"the {_service} schema in {conn.Database} is at version {found}, this {_service} needs {Version}: start the service once to create or migrate it");
            }

            return;
        }

        using NpgsqlTransaction tx = conn.BeginTransaction();
        Execute(conn, tx, $"SELECT pg_advisory_xact_lock({_lockKey})");
        Execute(conn, tx, $"CREATE TABLE IF NOT EXISTS {_versionTable} (version integer NOT NULL)");
        int current = CurrentVersion(conn, tx);
        if (current > Version)
        {
            throw new InvalidDataException(
                $"the {_service} schema in {conn.Database} is at version {current}, newer than this {_service}'s {Version}: run the newer {_service}");
        }

        for (int v = current + 1; v <= Version; v++)
        {
            Execute(conn, tx, _migrations[v - 1]);
        }

        if (current != Version)
        {
            Execute(conn, tx, $"DELETE FROM {_versionTable}; INSERT INTO {_versionTable} (version) VALUES ({Version})");
        }

        tx.Commit();
    }

    /// <summary>The version applied (0: none).</summary>
    public int CurrentVersion(NpgsqlConnection conn, NpgsqlTransaction? tx)
    {
        ArgumentNullException.ThrowIfNull(conn);
        using (var exists = new NpgsqlCommand($"SELECT to_regclass('{_versionTable}') IS NOT NULL", conn, tx))
        {
            if (exists.ExecuteScalar() is not true)
            {
                return 0;
            }
        }

        using var cmd = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {_versionTable}", conn, tx);
        return Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void Execute(NpgsqlConnection conn, NpgsqlTransaction tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, conn, tx);
        cmd.ExecuteNonQuery();
    }
}
