using KcryptPush.Messaging;
using Microsoft.Extensions.Configuration;

namespace KcryptPush.Agent.Hosting;

/// <summary>
/// The agent's configuration layers, lowest precedence first: appsettings.json beside the
/// executable, <c>KCRYPTPUSH_Section__Key</c> variables, the short aliases of DESIGN.md's table
/// (<c>KCRYPTPUSH_BROKER</c>, <c>KCRYPTPUSH_TPM</c>, <c>KCRYPTPUSH_EK</c>), then command-line options.
/// </summary>
public static class AgentConfiguration
{
    /// <summary>Short environment variables → configuration keys.</summary>
    public static IReadOnlyDictionary<string, string> Aliases { get; } = new Dictionary<string, string>
    {
        ["KCRYPTPUSH_TPM"] = "Agent:Tpm",
        ["KCRYPTPUSH_EK"] = "Agent:Ek",
        ["KCRYPTPUSH_INTERVAL"] = "Agent:Interval",
        ["KCRYPTPUSH_EVENT_LOG"] = "Agent:EventLog",
    };

    /// <summary>Adds every layer to <paramref name="builder"/>.</summary>
    public static IConfigurationBuilder AddAgentSources(
        this IConfigurationBuilder builder,
        IEnumerable<KeyValuePair<string, string?>> commandLine,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? appSettingsDirectory = null)
    {
        return builder.AddKcryptPushServiceSources(Aliases, commandLine, environment, appSettingsDirectory);
    }
}
