using KcryptPush.Messaging;
using Microsoft.Extensions.Configuration;

namespace KcryptPush.Verifier.Hosting;

/// <summary>
/// The verifier service's configuration layers, lowest precedence first: appsettings.json beside
/// the executable, <c>KCRYPTPUSH_Section__Key</c> variables, the short aliases of DESIGN.md's table
/// (<c>KCRYPTPUSH_BROKER</c>, <c>KCRYPTPUSH_DB</c>), then command-line options.
/// </summary>
public static class VerifierConfiguration
{
    /// <summary>The configuration key of the LiteDB file.</summary>
    public const string DbKey = "Verifier:Db";

    /// <summary>The default LiteDB file (DESIGN.md "Command-line contract").</summary>
    public const string DefaultDb = "/var/lib/kcrypt-push/verifier.db";

    /// <summary>Short environment variables → configuration keys.</summary>
    public static IReadOnlyDictionary<string, string> Aliases { get; } = new Dictionary<string, string>
    {
        ["KCRYPTPUSH_DB"] = DbKey,
        ["KCRYPTPUSH_INTERVAL"] = "Verifier:Interval",
        ["KCRYPTPUSH_HTTP"] = KcryptPush.Http.HttpOptions.ListenKey,
        ["KCRYPTPUSH_HTTP_TOKEN"] = KcryptPush.Http.HttpOptions.BearerTokenKey,
    };

    /// <summary>Adds every layer to <paramref name="builder"/>.</summary>
    public static IConfigurationBuilder AddVerifierSources(
        this IConfigurationBuilder builder,
        IEnumerable<KeyValuePair<string, string?>> commandLine,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        return builder.AddKcryptPushServiceSources(Aliases, commandLine, environment);
    }

    /// <summary>The LiteDB path the configuration names.</summary>
    public static string DbPath(IConfiguration configuration) =>
        configuration[DbKey] is { Length: > 0 } path ? path : DefaultDb;

    /// <summary>The configuration key of the store: <c>litedb:PATH</c> or a PostgreSQL connection string
    /// (<c>Host=...;...</c> or <c>postgresql://...</c>); unset, the LiteDB file of <see cref="DbKey"/>.</summary>
    public const string StoreKey = "Verifier:Store";

    /// <summary>The store the configuration names (<see cref="StoreKey"/>, else <c>litedb:</c> the <see cref="DbPath"/>).</summary>
    public static string Store(IConfiguration configuration) =>
        configuration[StoreKey] is { Length: > 0 } store ? store : "litedb:" + DbPath(configuration);
}
