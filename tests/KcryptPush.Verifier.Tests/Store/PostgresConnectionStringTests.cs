using KcryptPush.Storage;
using Npgsql;

namespace KcryptPush.Verifier.Tests.Store;

/// <summary><c>Verifier:Store</c> takes a PostgreSQL database in Npgsql's keyword form or as a libpq URI.</summary>
[Trait("Category", "Unit")]
public sealed class PostgresConnectionStringTests
{
    [Theory]
    [InlineData("Host=db;Database=kcrypt", true)]
    [InlineData("postgresql://db/kcrypt", true)]
    [InlineData("postgres://db/kcrypt", true)]
    [InlineData("/var/lib/kcrypt-push/verifier.db", false)]
    [InlineData("litedb:/var/lib/kcrypt-push/verifier.db", false)]
    public void Tells_a_database_from_a_file(string value, bool postgres) =>
        Assert.Equal(postgres, PostgresConnectionString.IsPostgres(value));

    [Fact]
    public void A_uri_becomes_the_keyword_form_with_user_password_port_database_and_options()
    {
        var b = new NpgsqlConnectionStringBuilder(PostgresConnectionString.ToKeywords(
            "postgresql://verifier:p%40ss%3Bword@db.example:6543/kcrypt%20push?sslmode=require&application_name=v1"));
        Assert.Equal("db.example", b.Host);
        Assert.Equal(6543, b.Port);
        Assert.Equal("verifier", b.Username);
        Assert.Equal("p@ss;word", b.Password);
        Assert.Equal("kcrypt push", b.Database);
        Assert.Equal(SslMode.Require, b.SslMode);
        Assert.Equal("v1", b.ApplicationName);
    }

    [Fact]
    public void The_keyword_form_passes_and_nonsense_is_refused()
    {
        Assert.Equal("db", new NpgsqlConnectionStringBuilder(PostgresConnectionString.ToKeywords("Host=db;Database=k")).Host);
        Assert.ThrowsAny<ArgumentException>(() => PostgresConnectionString.ToKeywords("postgresql://db/k?nonsense_key=1"));
        Assert.ThrowsAny<ArgumentException>(() => PostgresConnectionString.ToKeywords("Host=db;Nonsense=1"));
    }
}
