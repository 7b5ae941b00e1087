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
}
