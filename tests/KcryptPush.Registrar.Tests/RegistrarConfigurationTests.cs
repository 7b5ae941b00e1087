using KcryptPush.Registrar.Hosting;
using Microsoft.Extensions.Configuration;

namespace KcryptPush.Registrar.Tests;

[Trait("Category", "Unit")]
public sealed class RegistrarConfigurationTests
{
    [Fact]
    public void Command_line_beats_the_short_alias_which_beats_the_section_variable()
    {
        var env = new Dictionary<string, string?>
        {
            ["KCRYPTPUSH_Registrar__Db"] = "/from/section.db",
            ["KCRYPTPUSH_DB"] = "/from/alias.db",
            ["KCRYPTPUSH_BROKER"] = "amqps://u:p@mq/prod",
            ["KCRYPTPUSH_REQUIRE_EK_CERT"] = "false",
            ["KCRYPTPUSH_Registrar__RegistrationsPerMinute"] = "3",
        };

        IConfigurationRoot withCli = RegistrarConfiguration.Build([KeyValuePair.Create<string, string?>("Registrar:Db", "/from/cli.db")], env);
        IConfigurationRoot withoutCli = RegistrarConfiguration.Build([KeyValuePair.Create<string, string?>("Registrar:Db", null)], env);

        Assert.Equal("/from/cli.db", withCli["Registrar:Db"]);
        Assert.Equal("/from/alias.db", withoutCli["Registrar:Db"]);
        Assert.Equal("amqps://u:p@mq/prod", withoutCli["Broker:Uri"]);
        Assert.Equal("false", withoutCli["Registrar:RequireEkCertificate"]);
        Assert.Equal("3", withoutCli["Registrar:RegistrationsPerMinute"]);
    }

    [Fact]
    public void The_store_is_the_db_file_unless_Registrar_Store_names_one()
    {
        var noStore = new Dictionary<string, string?> { ["KCRYPTPUSH_DB"] = "/var/lib/x/registrar.db" };
        Assert.Equal("litedb:/var/lib/x/registrar.db", RegistrarConfiguration.Store(RegistrarConfiguration.Build([], noStore)));
        Assert.Equal("litedb:/var/lib/kcrypt-push/registrar.db", RegistrarConfiguration.Store(RegistrarConfiguration.Build([], new Dictionary<string, string?>())));

        var withStore = new Dictionary<string, string?>(noStore) { ["KCRYPTPUSH_Registrar__Store"] = "postgresql://registrar@db:5432/kcrypt" };
        string store = RegistrarConfiguration.Store(RegistrarConfiguration.Build([], withStore));
        Assert.Equal("postgresql://registrar@db:5432/kcrypt", store);
        Assert.True(KcryptPush.Registrar.Store.RegistrarStores.IsPostgres(store));
        Assert.Null(KcryptPush.Registrar.Store.RegistrarStores.LiteDbPath(store));
        Assert.Equal("/srv/r.db", KcryptPush.Registrar.Store.RegistrarStores.LiteDbPath("litedb:/srv/r.db"));
        Assert.Equal("/srv/r.db", KcryptPush.Registrar.Store.RegistrarStores.LiteDbPath("/srv/r.db"));
        Assert.True(KcryptPush.Registrar.Store.RegistrarStores.IsPostgres("Host=db;Database=kcrypt"));
    }
}
