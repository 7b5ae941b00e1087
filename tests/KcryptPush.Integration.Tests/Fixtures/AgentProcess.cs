namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>
/// <c>kcrypt-push-agent run</c> as a long-running process for an end-to-end test: its TPM, broker
/// user, interval and event log from the arguments only (the test runner's own KCRYPTPUSH_*
/// variables and NOTIFY_SOCKET are cleared), and short reconnect delays so a test does not wait on
/// the agent's backoff.
/// </summary>
public static class AgentProcess
{
    /// <param name="environment">More variables for the agent (e.g. Broker options), set after the defaults.</param>
    public static ServiceProcess Start(string name, string brokerUri, SwtpmInstance tpm, string interval, string eventLog, string hostname,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var variables = new Dictionary<string, string?>
        {
            ["KCRYPTPUSH_Agent__Hostname"] = hostname,
            ["KCRYPTPUSH_Agent__RetryMinDelay"] = "00:00:00.200",
            ["KCRYPTPUSH_Agent__RetryMaxDelay"] = "00:00:02",
            ["KCRYPTPUSH_TPM"] = null,
            ["KCRYPTPUSH_EK"] = null,
            ["KCRYPTPUSH_INTERVAL"] = null,
            ["KCRYPTPUSH_EVENT_LOG"] = null,
            ["NOTIFY_SOCKET"] = null,
        };
        foreach ((string key, string? value) in environment ?? new Dictionary<string, string?>())
        {
            variables[key] = value;
        }

        return ServiceProcess.Start(name, "dotnet",
            [KcryptPushBinaries.Agent, "run", "--broker", brokerUri, "--tpm", tpm.TpmUri, "--interval", interval, "--event-log", eventLog], variables);
    }
}
