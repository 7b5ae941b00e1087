using KcryptPush.Http;
using KcryptPush.Verifier.Http;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests.Observe;

/// <summary>The <c>store</c> check of the verifier's /readyz, for LiteDB and for PostgreSQL (a private server, stopped to make it fail).</summary>
[Trait("Category", "Integration")]
public sealed class StoreReadinessTests(PrivatePostgres pg) : IClassFixture<PrivatePostgres>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-store-ready-").FullName;

    [Fact]
    public void A_litedb_store_is_ready_when_its_directory_takes_a_file()
    {
        using var store = new LiteDbVerifierStore(Path.Combine(_dir, "verifier.db"));
        ReadinessResult r = new VerifierStoreReadinessCheck(store, "/not/used.db").Check();
        Assert.True(r.Ready, r.Detail);
        Assert.Contains(Path.Combine(_dir, "verifier.db"), r.Detail, StringComparison.Ordinal);
        Assert.Equal("store", new VerifierStoreReadinessCheck(store, "/not/used.db").Name);
    }

    [Fact]
    public void Without_a_store_the_file_is_checked_and_a_missing_directory_is_unready()
    {
        Assert.True(new VerifierStoreReadinessCheck(null, Path.Combine(_dir, "verifier.db")).Check().Ready);
        ReadinessResult r = new VerifierStoreReadinessCheck(null, Path.Combine(_dir, "absent", "verifier.db")).Check();
        Assert.False(r.Ready);
        Assert.Contains("cannot write in", r.Detail, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task A_postgres_store_is_ready_while_the_server_takes_writes_and_unready_once_it_is_gone()
    {
        using var store = new PostgresVerifierStore(pg.CreateDatabase());
        var check = new VerifierStoreReadinessCheck(store, "/not/used.db");
        ReadinessResult r = check.Check();
        Assert.True(r.Ready, r.Detail);
        Assert.Contains("writable", r.Detail, StringComparison.Ordinal);

        pg.Stop();
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((r = check.Check()).Ready && DateTime.UtcNow < until)
        {
            await Task.Delay(500);
        }

        Assert.False(r.Ready, "still ready 60 s after the server stopped: " + r.Detail);
        Assert.StartsWith(store.Description, r.Detail, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
