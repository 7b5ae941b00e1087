using KcryptPush.Agent.Attestation;
using KcryptPush.Messaging;
using KcryptPush.Integration.Tests.Enrolment;
using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// One broker, <see cref="TpmCount"/> swtpms, the registrar and a verifier with a short interval
/// (<see cref="Interval"/>) and silence threshold (<see cref="SilentIntervals"/>), a spy on the
/// verdict exchange and one on the verifier's attestation exchange.
/// </summary>
public sealed class AttestationClassFixture : IAsyncLifetime
{
    public const int TpmCount = 7;
    public const string Interval = "2s";
    // 16 s: a test reboot (agent stopped, swtpm restarted, ~100 PCR extends to seed it, a new agent
    // process) took over 8 s on the 2-core CI machine under load, and the node went Silent before
    // the quarantine the reboot test is about.
    public const int SilentIntervals = 8;
    public const string VerdictExchange = "KcryptPush.Contracts.V1:INodeVerdict";
    public const string VerifierEnrolmentQueue = "kcrypt-push-verifier-enrolment";

    public static readonly string SharedLog = Path.Combine(RepoPaths.EventLogs, "gcp-ubuntu2104-nosb.bin");

    public RabbitMqFixture Broker { get; } = new();

    public SwtpmPool Tpms { get; private set; } = null!;

    public KcryptPushServices Services { get; private set; } = null!;

    /// <summary>Broker URI per role (registrar, verifier, agent, operator).</summary>
    public IReadOnlyDictionary<string, string> Roles { get; private set; } = null!;

    /// <summary>The agents' broker URI.</summary>
    public string AgentBrokerUri => Roles["agent"];

    public ServiceProcess Verifier { get; private set; } = null!;

    public ExchangeSpy Verdicts { get; private set; } = null!;

    public ExchangeSpy ToVerifier { get; private set; } = null!;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("kcp-it-attest-").FullName;

    public async Task InitializeAsync()
    {
        Task<SwtpmPool> tpms = Task.Run(() => SwtpmPool.Start(TpmCount));
        await Broker.InitializeAsync();

        // Every process runs as its role's broker user (least privilege), as scripts/run-system.sh
        // sets them up; the spies below use the admin.
        Roles = await Broker.CreateRoleUsersAsync();
        Tpms = await tpms;
        Services = new KcryptPushServices(Broker) { RegistrarBrokerUri = Roles["registrar"] };
        Services.StartRegistrar(SwtpmPool.CaDirectory(Services.Directory, [.. Tpms.Instances]));
        Verifier = ServiceProcess.Start("verifier", "dotnet",
            [KcryptPushBinaries.Verifier, "run", "--broker", Roles["verifier"], "--db", Services.VerifierDb, "--interval", Interval],
            new Dictionary<string, string?>
            {
                ["KCRYPTPUSH_Verifier__SilentIntervals"] = SilentIntervals.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["KCRYPTPUSH_INTERVAL"] = null,
            });
        await Broker.WaitForConsumersAsync(TimeSpan.FromSeconds(60), KcryptPushServices.RegistrarQueue, VerifierEnrolmentQueue, KcryptPushQueues.VerifierAttestation);
        Verdicts = await ExchangeSpy.StartAsync(Broker.Uri, VerdictExchange);
        ToVerifier = await ExchangeSpy.StartAsync(Broker.Uri, KcryptPushQueues.VerifierAttestation);
    }

    /// <summary>
    /// Configures a partition secret as an operator does: <c>kcrypt-push-verifier nodes set-secret</c>
    /// over the broker, the passphrase on stdin, encrypted to the running verifier's key.
    /// </summary>
    public void SetSecret(string tpmHash, string label, string passphrase)
    {
        ProcessResult r = ProcessRunner.Run("dotnet",
            [KcryptPushBinaries.Verifier, "nodes", "set-secret", tpmHash, label, "--operator", "integration-test", "--broker", Roles["operator"],
                "--known-verifiers", Path.Combine(Directory, "known_verifiers")],
            stdin: passphrase + "\n", timeout: TimeSpan.FromSeconds(60));
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"nodes set-secret failed ({r.ExitCode}): {r.StdErr}{r.StdOut}\n{Diagnostics()}");
        }
    }

    /// <summary>The verifier's output, for failure messages.</summary>
    public string Diagnostics() => $"--- verifier ---\n{Verifier?.Output}\n--- registrar ---\n{Services?.Registrar?.Output}";

    public async Task DisposeAsync()
    {
        if (Verdicts is not null)
        {
            await Verdicts.DisposeAsync();
        }

        if (ToVerifier is not null)
        {
            await ToVerifier.DisposeAsync();
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
}
