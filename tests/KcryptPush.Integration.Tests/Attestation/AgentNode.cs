using KcryptPush.Integration.Tests.Enrolment;
using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// One node: a swtpm seeded from an event log, that log as the agent's --event-log file, and the
/// agent (<c>kcrypt-push-agent run --interval 2s</c>) as a process.
/// </summary>
public sealed class AgentNode : IDisposable
{
    private readonly AttestationClassFixture _f;

    public AgentNode(AttestationClassFixture f, int index, byte[] log)
    {
        _f = f;
        Index = index;
        Tpm = f.Tpms[index];
        LogPath = Path.Combine(f.Directory, $"node{index}.log");
        File.WriteAllBytes(LogPath, log);
        EventLogSeeder.Seed(Tpm, log);
        TpmHash = TpmKeys.HashOf(Tpm);
    }

    public int Index { get; }

    public SwtpmInstance Tpm { get; }

    public string LogPath { get; }

    public string TpmHash { get; }

    public string Hostname => $"attest-node-{Index}";

    public ServiceProcess? Agent { get; private set; }

    public void Start() => Start(_f.AgentBrokerUri);

    /// <summary>Starts the agent with <paramref name="brokerUri"/> and more <paramref name="environment"/>.</summary>
    public void Start(string brokerUri, IReadOnlyDictionary<string, string?>? environment = null)
    {
        Agent = AgentProcess.Start($"agent{Index}", brokerUri, Tpm, AttestationClassFixture.Interval, LogPath, Hostname, environment);
    }

    /// <summary>A reboot into <paramref name="log"/>: the agent stops, the TPM power-cycles (PCRs reset, resetCount +1) and is seeded again, the agent starts.</summary>
    public void Reboot(byte[] log)
    {
        Stop();
        Tpm.Restart();
        File.WriteAllBytes(LogPath, log);
        EventLogSeeder.Seed(Tpm, log);
        Start();
    }

    /// <summary>Kills the agent (no orderly stop).</summary>
    public void Kill()
    {
        Agent?.Dispose();
        Agent = null;
    }

    public void Stop()
    {
        Agent?.Terminate();
        Agent?.Dispose();
        Agent = null;
    }

    /// <summary><c>kcrypt-push-agent discovery.password</c> with the kcrypt event for <paramref name="label"/> on stdin.</summary>
    public Task<ProcessResult> DiscoverAsync(string label, string timeout = "60s") => Task.Run(() => ProcessRunner.Run("dotnet",
        [KcryptPushBinaries.Agent, "discovery.password", "--broker", _f.AgentBrokerUri, "--tpm", Tpm.TpmUri, "--event-log", LogPath, "--timeout", timeout],
        stdin: "{\"data\": \"{\\\"label\\\":\\\"" + label + "\\\",\\\"name\\\":\\\"/dev/sda3\\\",\\\"uuid\\\":\\\"0f3c6c2e-1111-4a5b-9c1d-2e3f4a5b6c7d\\\"}\"}",
        timeout: TimeSpan.FromSeconds(120)));

    public string Output => Agent?.Output ?? string.Empty;

    public void Dispose() => Stop();
}
