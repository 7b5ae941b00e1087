using System.Text;
using KcryptPush.Verifier.Store;
using KcryptPush.Verifier.Enrolment;
using Npgsql;

namespace KcryptPush.Verifier.Tests.Store;

/// <summary>The store contract on <see cref="PostgresVerifierStore"/> (a private PostgreSQL server, a fresh
/// database per test; two store instances stand for two verifier processes), and its schema handling.</summary>
[Trait("Category", "Integration")]
public sealed class PostgresVerifierStoreTests(PrivatePostgres pg) : VerifierStoreContract, INeedsPostgres, IClassFixture<PrivatePostgres>
{
    private string? _connection;

    private string ConnectionString => _connection ??= pg.CreateDatabase();

    protected override bool SeveralInstances => true;

    protected override IVerifierStore OpenStore(VerifierStoreOptions options) => new PostgresVerifierStore(ConnectionString, options);

    protected override byte[] RawContent()
    {
        using var conn = new NpgsqlConnection(ConnectionString);
        conn.Open();
        var all = new StringBuilder();
        foreach (string table in new[] { "nodes", "enrolment_audit", "node_attestation", "challenges", "history", "audit", "secrets", "event_logs" })
        {
            using var cmd = new NpgsqlCommand($"SELECT t::text FROM {table} t", conn);
            using NpgsqlDataReader r = cmd.ExecuteReader();
            while (r.Read())
            {
                all.AppendLine(r.GetString(0));
            }
        }

        return Encoding.UTF8.GetBytes(all.ToString());
    }

    [PostgresFact]
    public void The_service_creates_the_schema_once_and_records_its_version()
    {
        Open().Dispose();
        Open().Dispose();
        string db = Database();
        Assert.Equal("2", pg.Psql("SELECT string_agg(version::text, ',') FROM schema_version", db).Trim());
        Assert.Equal("9", pg.Psql(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN "
            + "('nodes','enrolment_audit','node_attestation','challenges','history','audit','secrets','event_logs','leases')", db).Trim());
    }

    [PostgresFact]
    public void Instances_starting_together_on_an_empty_database_migrate_it_once()
    {
        Task[] starts = Enumerable.Range(0, 4).Select(_ => Task.Run(() => new PostgresVerifierStore(ConnectionString).Dispose())).ToArray();
        Assert.True(Task.WaitAll(starts, TimeSpan.FromSeconds(60)));
        Assert.Equal("2", pg.Psql("SELECT string_agg(version::text, ',') FROM schema_version", Database()).Trim());
    }

    [PostgresFact]
    public void A_database_of_the_first_schema_is_migrated_with_its_data_and_gains_the_lease_table()
    {
        // Version 1 as verifiers before the lease left it: its tables with a node in them, no leases table.
        string db = Database();
        using (var before = new PostgresVerifierStore(ConnectionString))
        using (IVerifierUnit unit = before.BeginNode(HashA))
        {
            unit.SaveNode(new VerifierNode { TpmHash = HashA, Hostname = "old", EnrolledAt = Now });
            unit.Commit();
        }

        pg.Psql("DROP TABLE leases; UPDATE schema_version SET version = 1", db);
        Assert.Equal("", pg.Psql("SELECT to_regclass('leases')", db).Trim());

        IVerifierStore store = Open();
        Assert.Equal("2", pg.Psql("SELECT string_agg(version::text, ',') FROM schema_version", db).Trim());
        Assert.Equal("old", store.FindNode(HashA)?.Hostname);
        Assert.True(store.TryHoldLease("scans", "a", TimeSpan.FromMinutes(1), Now));
    }

    [PostgresFact]
    public void A_newer_schema_is_refused_and_a_read_only_open_does_not_create_one()
    {
        var ro = Assert.Throws<InvalidDataException>(() => new PostgresVerifierStore(ConnectionString, new VerifierStoreOptions { ReadOnly = true }));
        Assert.Contains("version 0", ro.Message, StringComparison.Ordinal);
        Assert.Equal("", pg.Psql("SELECT to_regclass('nodes')", Database()).Trim());

        Open().Dispose();
        pg.Psql("UPDATE schema_version SET version = 99", Database());
        var newer = Assert.Throws<InvalidDataException>(() => new PostgresVerifierStore(ConnectionString));
        Assert.Contains("99", newer.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public void A_postgresql_uri_opens_the_same_database()
    {
        using (IVerifierUnit unit = Open().BeginNode(HashA))
        {
            unit.AddAudit("alice", "state", null, "x", Now);
            unit.Commit();
        }

        using var byUri = new PostgresVerifierStore($"postgresql://postgres@127.0.0.1:{pg.Port}/{Database()}");
        Assert.Single(byUri.Audit(HashA));
        Assert.Equal($"postgresql://127.0.0.1:{pg.Port}/{Database()}", byUri.Description);
    }

    private string Database() => new NpgsqlConnectionStringBuilder(ConnectionString).Database!;
}
