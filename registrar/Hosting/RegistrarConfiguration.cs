using KcryptPush.Messaging;
using KcryptPush.Registrar.Options;
using Microsoft.Extensions.Configuration;

namespace KcryptPush.Registrar.Hosting;

/// <summary>
/// The registrar's configuration layers, lowest precedence first: built-in defaults,
/// <c>appsettings.json</c> beside the executable, <c>KCRYPTPUSH_Section__Key</c> variables, the
/// short aliases of DESIGN.md's table (<c>KCRYPTPUSH_BROKER</c>, <c>KCRYPTPUSH_DB</c>,
/// <c>KCRYPTPUSH_EK_CA_DIR</c>, <c>KCRYPTPUSH_REQUIRE_EK_CERT</c>), then command-line options.
/// </summary>
public static class RegistrarConfiguration
{
    /// <summary>Short environment variables → configuration keys.</summary>
    public static IReadOnlyDictionary<string, string> Aliases { get; } = new Dictionary<string, string>
    {
        ["KCRYPTPUSH_DB"] = "Registrar:Db",
        ["KCRYPTPUSH_EK_CA_DIR"] = "Registrar:EkCaDir",
        ["KCRYPTPUSH_REQUIRE_EK_CERT"] = "Registrar:RequireEkCertificate",
        ["KCRYPTPUSH_HTTP"] = KcryptPush.Http.HttpOptions.ListenKey,
        ["KCRYPTPUSH_HTTP_TOKEN"] = KcryptPush.Http.HttpOptions.BearerTokenKey,
    };

    /// <summary>Adds every layer to <paramref name="builder"/>.</summary>
    /// <param name="builder">The configuration to fill.</param>
    /// <param name="commandLine">Option values (configuration key → value; nulls are skipped).</param>
    /// <param name="environment">The environment (null: the process environment).</param>
    /// <param name="appSettingsDirectory">Where appsettings.json is looked for (null: beside the executable).</param>
    public static IConfigurationBuilder AddRegistrarSources(
        this IConfigurationBuilder builder,
        IEnumerable<KeyValuePair<string, string?>> commandLine,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? appSettingsDirectory = null)
    {
        return builder.AddKcryptPushServiceSources(Aliases, commandLine, environment, appSettingsDirectory);
    }

    /// <summary>The store the configuration names: <c>Registrar:Store</c>, else <c>litedb:</c> the <c>Registrar:Db</c> file.</summary>
    public static string Store(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new RegistrarOptions
        {
            Store = configuration[$"{RegistrarOptions.Section}:Store"],
            Db = configuration[$"{RegistrarOptions.Section}:Db"] is { Length: > 0 } db ? db : RegistrarOptions.DefaultDb,
        }.StoreSetting;
    }

    /// <summary>Builds the configuration alone (for the CLI commands that do not start the service).</summary>
    public static IConfigurationRoot Build(IEnumerable<KeyValuePair<string, string?>> commandLine, IReadOnlyDictionary<string, string?>? environment = null) =>
        new ConfigurationBuilder().AddRegistrarSources(commandLine, environment).Build();
}
