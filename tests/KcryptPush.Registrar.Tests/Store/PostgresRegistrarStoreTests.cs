using KcryptPush.Registrar.Store;
using Npgsql;

namespace KcryptPush.Registrar.Tests.Store;

/// <summary>The store contract on <see cref="PostgresRegistrarStore"/> (a private PostgreSQL server, a fresh
/// database per test; two store instances stand for two registrar processes), and its schema handling.</summary>
[Trait("Category", "Integration")]
public sealed class PostgresRegistrarStoreTests(PrivatePostgres pg) : RegistrarStoreContract, INeedsPostgres, IClassFixture<PrivatePostgres>
{
    private static readonly string[] Tables = ["registrar_nodes", "registrar_challenges", "registrar_audit", "registrar_rejections"];
    private string? _connection;

    private string ConnectionString => _connection ??= pg.CreateDatabase();

    protected override bool SeveralInstances => true;

    protected override IRegistrarStore OpenStore() => new PostgresRegistrarStore(ConnectionString);

    [PostgresFact]
    public void The_service_creates_its_prefixed_tables_once_and_records_its_version()
    {
        Open().Dispose();
        Open().Dispose();
        string db = Database();
        Assert.Equal("1", pg.Psql("SELECT string_agg(version::text, ',') FROM registrar_schema_version", db).Trim());
        Assert.Equal(
            string.Join('\n', Tables.Append("registrar_schema_version").Order(StringComparer.Ordinal)),
            pg.Psql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name COLLATE \"C\"", db).Trim());
    }

    [PostgresFact]
    public void Registrars_starting_together_on_an_empty_database_migrate_it_once()
    {
        Task[] starts = Enumerable.Range(0, 4).Select(_ => Task.Run(() => new PostgresRegistrarStore(ConnectionString).Dispose())).ToArray();
        Assert.True(Task.WaitAll(starts, TimeSpan.FromSeconds(60)));
        Assert.Equal("1", pg.Psql("SELECT string_agg(version::text, ',') FROM registrar_schema_version", Database()).Trim());
    }

    [PostgresFact]
    public void A_newer_schema_is_refused_clearly_and_a_read_only_open_creates_nothing()
    {
        var ro = Assert.Throws<InvalidDataException>(() => new PostgresRegistrarStore(ConnectionString, readOnly: true));
        Assert.Contains("version 0", ro.Message, StringComparison.Ordinal);
        Assert.Equal("", pg.Psql("SELECT to_regclass('registrar_nodes')", Database()).Trim());

        Open().Dispose();
        pg.Psql("UPDATE registrar_schema_version SET version = 99", Database());
        var newer = Assert.Throws<InvalidDataException>(() => new PostgresRegistrarStore(ConnectionString));
        Assert.Contains("version 99, newer than this registrar's 1", newer.Message, StringComparison.Ordinal);

        // The service refuses to start on it, naming the reason.
        var fromSetting = Assert.Throws<InvalidDataException>(() => RegistrarStores.Open(ConnectionString));
        Assert.Contains("run the newer registrar", fromSetting.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public void The_registrar_shares_a_database_with_the_verifier()
    {
        // The verifier's own tables, schema_version among them, are not the registrar's.
        new KcryptPush.Verifier.Store.PostgresVerifierStore(ConnectionString).Dispose();
        IRegistrarStore store = Open();
        Put(store, NewChallenge(HashA, Now.AddMinutes(1)));
        Assert.Equal(
            KcryptPush.Verifier.Store.PostgresVerifierSchema.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            pg.Psql("SELECT string_agg(version::text, ',') FROM schema_version", Database()).Trim());
        Assert.Equal("1", pg.Psql("SELECT count(*) FROM registrar_challenges", Database()).Trim());
        Assert.Equal("0", pg.Psql("SELECT count(*) FROM challenges", Database()).Trim());
    }

    [PostgresFact]
    public void A_postgresql_uri_opens_the_same_database()
    {
        Put(Open(), NewChallenge(HashA, Now.AddMinutes(1)));
        using IRegistrarStore byUri = RegistrarStores.Open($"postgresql://postgres@127.0.0.1:{pg.Port}/{Database()}");
        Assert.IsType<PostgresRegistrarStore>(byUri);
        Assert.Single(byUri.ListPendingNodes());
        Assert.Equal($"postgresql://127.0.0.1:{pg.Port}/{Database()}", byUri.Description);
    }

    [PostgresFact]
    public void Purging_does_not_undo_a_proof_committed_while_it_ran()
    {
        // The secret is wiped in the database: a purge cannot write back an older document over a
        // challenge a unit consumed (and wiped) meanwhile.
        IRegistrarStore store = Open();
        ChallengeRecord c = NewChallenge(HashA, Now.AddMinutes(-1));
        Put(store, c);
        Consume(store, c, Now);
        Assert.Equal(0, store.PurgeChallenges(Now, TimeSpan.FromDays(1)));
        ChallengeRecord after = store.FindChallenge(c.Id)!;
        Assert.Equal(Now, after.UsedAt!.Value.ToUniversalTime());
        Assert.Empty(after.Secret);
        Assert.Equal("f", pg.Psql($"SELECT has_secret FROM registrar_challenges WHERE id = '{c.Id}'", Database()).Trim());
    }

    [PostgresFact]
    public void Readiness_writes_through_the_store_and_fails_on_a_read_only_database()
    {
        var ready = new Http.RegistrarStoreReadinessCheck(Open(), ConnectionString);
        KcryptPush.Http.ReadinessResult result = Settled(ready);
        Assert.True(result.Ready, result.Detail);
        Assert.Contains("writable", result.Detail, StringComparison.Ordinal);

        // A database that takes no writes any more (a standby, revoked rights) makes the registrar
        // unready. No pooling: the probe's next connection is a new session, which reads the setting.
        IRegistrarStore unpooled = new PostgresRegistrarStore(ConnectionString.Replace("Pooling=true", "Pooling=false", StringComparison.Ordinal));
        pg.Psql($"ALTER DATABASE {Database()} SET default_transaction_read_only = on");
        try
        {
            KcryptPush.Http.ReadinessResult refused = Settled(new Http.RegistrarStoreReadinessCheck(unpooled, ConnectionString));
            Assert.False(refused.Ready);
            Assert.Contains("read-only", refused.Detail, StringComparison.Ordinal);
        }
        finally
        {
            unpooled.Dispose();
            pg.Psql($"ALTER DATABASE {Database()} SET default_transaction_read_only = off");
        }
    }

    // The first probe runs in the background; a loaded machine may take longer than a request waits for it.
    private static KcryptPush.Http.ReadinessResult Settled(Http.RegistrarStoreReadinessCheck check)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            KcryptPush.Http.ReadinessResult r = check.Check();
            if (!r.Detail.Contains("no answer within", StringComparison.Ordinal) || clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                return r;
            }

            Thread.Sleep(200);
        }
    }

    private string Database() => new NpgsqlConnectionStringBuilder(ConnectionString).Database!;
}
