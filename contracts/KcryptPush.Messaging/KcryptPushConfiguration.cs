using Microsoft.Extensions.Configuration;

namespace KcryptPush.Messaging;

/// <summary>
/// The configuration sources every service layers, lowest precedence first (DESIGN.md
/// "Command-line contract"): appsettings.json (already added by the host), then
/// <c>KCRYPTPUSH_Section__Key</c> environment variables, then the short aliases
/// (<c>KCRYPTPUSH_BROKER</c>, <c>KCRYPTPUSH_DB</c>...), then command-line options.
/// </summary>
public static class KcryptPushConfiguration
{
    /// <summary>The environment prefix of <c>KCRYPTPUSH_Section__Key</c> variables.</summary>
    public const string EnvironmentPrefix = "KCRYPTPUSH_";

    /// <summary>The alias every service understands: <c>KCRYPTPUSH_BROKER</c> → <c>Broker:Uri</c>.</summary>
    public static IReadOnlyDictionary<string, string> CommonAliases { get; } = new Dictionary<string, string>
    {
        ["KCRYPTPUSH_BROKER"] = "Broker:Uri",
    };

    /// <summary>
    /// Adds every layer a service reads: appsettings.json beside the executable (or in
    /// <paramref name="appSettingsDirectory"/>), then <see cref="AddKcryptPushSources"/>.
    /// </summary>
    public static IConfigurationBuilder AddKcryptPushServiceSources(
        this IConfigurationBuilder builder,
        IReadOnlyDictionary<string, string> aliases,
        IEnumerable<KeyValuePair<string, string?>> commandLine,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? appSettingsDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddJsonFile(Path.Combine(appSettingsDirectory ?? AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        return builder.AddKcryptPushSources(aliases, commandLine, environment);
    }

    /// <summary>Adds the environment layers and the command-line overrides.</summary>
    /// <param name="builder">The configuration to extend.</param>
    /// <param name="aliases">Service-specific short environment variables → configuration keys
    /// (in addition to <see cref="CommonAliases"/>).</param>
    /// <param name="commandLine">Values given as options (null values are skipped).</param>
    /// <param name="environment">The environment to read (tests pass their own); null reads the process environment.</param>
    public static IConfigurationBuilder AddKcryptPushSources(
        this IConfigurationBuilder builder,
        IReadOnlyDictionary<string, string> aliases,
        IEnumerable<KeyValuePair<string, string?>> commandLine,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (environment is null)
        {
            builder.AddEnvironmentVariables(EnvironmentPrefix);
        }
        else
        {
            builder.AddInMemoryCollection(environment
                .Where(kv => kv.Key.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) && kv.Key.Contains("__", StringComparison.Ordinal))
                .Select(kv => KeyValuePair.Create(kv.Key[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal), kv.Value)));
        }

        var fromAliases = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (variable, key) in CommonAliases.Concat(aliases))
        {
            string? value = environment is null ? Environment.GetEnvironmentVariable(variable) : environment.GetValueOrDefault(variable);
            if (!string.IsNullOrEmpty(value))
            {
                fromAliases[key] = value;
            }
        }

        builder.AddInMemoryCollection(fromAliases);
        builder.AddInMemoryCollection(commandLine.Where(kv => kv.Value is not null));
        return builder;
    }
}
