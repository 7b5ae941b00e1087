using System.CommandLine;

namespace KcryptPush.Agent.Cli;

/// <summary>
/// <c>--interval</c> and <c>--event-log</c> (DESIGN.md "Command-line contract"). No built-in
/// default here: an absent option leaves the value to appsettings.json and <c>KCRYPTPUSH_*</c>.
/// </summary>
internal sealed class PushOptions
{
    public Option<string?> Interval { get; } = new("--interval")
    {
        Description = "time between attestations, e.g. 60s, 2m (env KCRYPTPUSH_INTERVAL; default 60s, with ±10% jitter)",
    };

    public Option<string?> EventLog { get; } = new("--event-log")
    {
        Description = "the binary measured-boot event log (env KCRYPTPUSH_EVENT_LOG; default /sys/kernel/security/tpm0/binary_bios_measurements)",
    };

    public void AddTo(Command command, bool withInterval = true)
    {
        if (withInterval)
        {
            command.Options.Add(Interval);
        }

        command.Options.Add(EventLog);
    }

    /// <summary>Adds the given values to <paramref name="overrides"/>; returns an error line for bad usage.</summary>
    public string? Read(ParseResult parse, Dictionary<string, string?> overrides)
    {
        string? interval = parse.GetValue(Interval);
        if (interval is not null && !Duration.TryParse(interval, out _))
        {
            return $"invalid --interval '{interval}': expected a duration such as 60s or 2m";
        }

        string? eventLog = parse.GetValue(EventLog);
        if (eventLog is not null && string.IsNullOrWhiteSpace(eventLog))
        {
            return "invalid --event-log: empty path";
        }

        overrides["Agent:Interval"] = interval;
        overrides["Agent:EventLog"] = eventLog;
        return null;
    }
}
