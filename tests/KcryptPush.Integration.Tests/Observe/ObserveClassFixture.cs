using KcryptPush.Integration.Tests.Enrolment;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Messaging;

namespace KcryptPush.Integration.Tests.Observe;

/// <summary>
/// One broker, one swtpm seeded from a real event log, the registrar and the verifier as processes
/// with their HTTP listeners on free loopback ports, and one agent pushing every 2 s.
/// </summary>
public sealed class ObserveClassFixture : IAsyncLifetime
{
    public const string VerifierEnrolmentQueue = "kcrypt-push-verifier-enrolment";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    public RabbitMqFixture Broker { get; } = new();

    public SwtpmPool Tpms { get; private set; } = null!;

    public KcryptPushServices Services { get; private set; } = null!;

    public ServiceProcess Verifier { get; private set; } = null!;

    public ServiceProcess? Agent { get; private set; }

    public Uri VerifierUrl { get; private set; } = null!;

    public Uri RegistrarUrl { get; private set; } = null!;

    public string TpmHash { get; private set; } = null!;

    public byte[] Log { get; } = File.ReadAllBytes(Path.Combine(RepoPaths.EventLogs, "gcp-ubuntu2104-nosb.bin"));

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("kcp-it-observe-").FullName;

    public async Task InitializeAsync()
    {
        Task<SwtpmPool> tpms = Task.Run(() => SwtpmPool.Start(1));
        await Broker.InitializeAsync();
        Tpms = await tpms;
        Services = new KcryptPushServices(Broker);

        // The registrar inherits KCRYPTPUSH_HTTP=127.0.0.1:0 (tests/Shared/TestHttpListener.cs).
        Services.StartRegistrar(SwtpmPool.CaDirectory(Services.Directory, [.. Tpms.Instances]));
        Verifier = ServiceProcess.Start("verifier", "dotnet",
            [KcryptPushBinaries.Verifier, "run", "--broker", Broker.Uri, "--db", Services.VerifierDb, "--interval", "2s", "--http", "127.0.0.1:0"],
            new Dictionary<string, string?> { ["KCRYPTPUSH_INTERVAL"] = null });
        VerifierUrl = await ServiceHttp.UrlAsync(Verifier, StartTimeout);
        RegistrarUrl = await ServiceHttp.UrlAsync(Services.Registrar!, StartTimeout);
        await Broker.WaitForConsumersAsync(StartTimeout, KcryptPushServices.RegistrarQueue, VerifierEnrolmentQueue, KcryptPushQueues.VerifierAttestation);

        string logPath = Path.Combine(Directory, "node.log");
        File.WriteAllBytes(logPath, Log);
        EventLogSeeder.Seed(Tpms[0], Log);
        TpmHash = TpmKeys.HashOf(Tpms[0]);
        Agent = AgentProcess.Start("agent", Broker.Uri, Tpms[0], "2s", logPath, "observe-node");
    }

    /// <summary>Every process's output, for failure messages.</summary>
    public string Diagnostics() => $"--- verifier ---\n{Verifier?.Output}\n--- registrar ---\n{Services?.Registrar?.Output}\n--- agent ---\n{Agent?.Output}";

    public async Task DisposeAsync()
    {
        Agent?.Dispose();
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
}
