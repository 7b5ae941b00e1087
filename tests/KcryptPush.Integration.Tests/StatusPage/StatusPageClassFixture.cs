using KcryptPush.Integration.Tests.Enrolment;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Integration.Tests.Observe;
using KcryptPush.Messaging;

namespace KcryptPush.Integration.Tests.StatusPage;

/// <summary>
/// The system the status page shows: one broker with the role users, two swtpms seeded from a real
/// event log, the registrar, the verifier with its HTTP listener on a free loopback port (and a
/// silence threshold that outlasts a test reboot), and one agent per swtpm pushing every 2 s as
/// <see cref="GoodHostname"/> and <see cref="BadHostname"/>; <see cref="Reboot"/> gives a node another boot.
/// </summary>
public sealed class StatusPageClassFixture : IAsyncLifetime
{
    public const string GoodHostname = "page-node-good";
    public const string BadHostname = "page-node-altered-boot";
    public const string VerifierEnrolmentQueue = "kcrypt-push-verifier-enrolment";
    private const string Interval = "2s";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly ServiceProcess?[] _agents = new ServiceProcess?[2];

    public RabbitMqFixture Broker { get; } = new();

    public SwtpmPool Tpms { get; private set; } = null!;

    public KcryptPushServices Services { get; private set; } = null!;

    public IReadOnlyDictionary<string, string> Roles { get; private set; } = null!;

    public ServiceProcess Verifier { get; private set; } = null!;

    /// <summary>The verifier's listener, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri VerifierUrl { get; private set; } = null!;

    public byte[] Log { get; } = File.ReadAllBytes(Path.Combine(RepoPaths.EventLogs, "gcp-ubuntu2104-nosb.bin"));

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("kcp-it-page-").FullName;

    /// <summary>TPM hash of node 0 (<see cref="GoodHostname"/>) and node 1 (<see cref="BadHostname"/>).</summary>
    public string[] TpmHashes { get; } = new string[2];

    public async Task InitializeAsync()
    {
        Task<SwtpmPool> tpms = Task.Run(() => SwtpmPool.Start(2));
        await Broker.InitializeAsync();
        Roles = await Broker.CreateRoleUsersAsync();
        Tpms = await tpms;
        Services = new KcryptPushServices(Broker) { RegistrarBrokerUri = Roles["registrar"] };
        Services.StartRegistrar(SwtpmPool.CaDirectory(Services.Directory, [.. Tpms.Instances]));
        Verifier = ServiceProcess.Start("verifier", "dotnet",
            [KcryptPushBinaries.Verifier, "run", "--broker", Roles["verifier"], "--db", Services.VerifierDb, "--interval", Interval, "--http", "127.0.0.1:0"],
            new Dictionary<string, string?>
            {
                ["KCRYPTPUSH_INTERVAL"] = null,
                ["KCRYPTPUSH_HTTP_TOKEN"] = null,
            });
        VerifierUrl = await ServiceHttp.UrlAsync(Verifier, StartTimeout);
        await Broker.WaitForConsumersAsync(StartTimeout, KcryptPushServices.RegistrarQueue, VerifierEnrolmentQueue, KcryptPushQueues.VerifierAttestation);
        for (int i = 0; i < 2; i++)
        {
            EventLogSeeder.Seed(Tpms[i], Log);
            File.WriteAllBytes(LogPath(i), Log);
            TpmHashes[i] = TpmKeys.HashOf(Tpms[i]);
            StartAgent(i);
        }
    }

    /// <summary>Node <paramref name="index"/> reboots into <paramref name="log"/>: agent stopped, TPM power-cycled and seeded again, agent started.</summary>
    public void Reboot(int index, byte[] log)
    {
        _agents[index]?.Terminate();
        _agents[index]?.Dispose();
        Tpms[index].Restart();
        File.WriteAllBytes(LogPath(index), log);
        EventLogSeeder.Seed(Tpms[index], log);
        StartAgent(index);
    }

    /// <summary>Every process's output, for failure messages.</summary>
    public string Diagnostics() =>
        $"--- verifier ---\n{Verifier?.Output}\n--- registrar ---\n{Services?.Registrar?.Output}\n--- agent 0 ---\n{_agents[0]?.Output}\n--- agent 1 ---\n{_agents[1]?.Output}";

    public async Task DisposeAsync()
    {
        foreach (ServiceProcess? agent in _agents)
        {
            agent?.Dispose();
        }

        Verifier?.Dispose();
        Services?.Dispose();
        Tpms?.Dispose();
        await Broker.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string LogPath(int index) => Path.Combine(Directory, $"node{index}.log");

    private void StartAgent(int index) => _agents[index] =
        AgentProcess.Start($"agent{index}", Roles["agent"], Tpms[index], Interval, LogPath(index), index == 0 ? GoodHostname : BadHostname);
}
