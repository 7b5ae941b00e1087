namespace KcryptPush.Verifier.Tests.Store;

/// <summary>The shared PostgreSQL fixture itself: it starts, serves separate databases, and stops by PID.</summary>
[Trait("Category", "Integration")]
public sealed class PrivatePostgresTests(PrivatePostgres pg) : IClassFixture<PrivatePostgres>
{
    [PostgresFact]
    public void Creates_separate_databases_on_a_loopback_port()
    {
        string a = pg.CreateDatabase();
        string b = pg.CreateDatabase();
        Assert.NotEqual(a, b);
        Assert.Contains($"Port={pg.Port}", a, StringComparison.Ordinal);
        string db = a.Split(';').Single(p => p.StartsWith("Database=", StringComparison.Ordinal))["Database=".Length..];
        pg.Psql("CREATE TABLE t (x int); INSERT INTO t VALUES (42)", db);
        Assert.Equal("42", pg.Psql("SELECT x FROM t", db).Trim());
        Assert.Equal("127.0.0.1", pg.Psql("SHOW listen_addresses").Trim());
    }
}
