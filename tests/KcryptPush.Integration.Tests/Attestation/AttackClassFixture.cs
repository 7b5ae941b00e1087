using System.Text.Json;
using KcryptPush.Agent.Attestation;
using KcryptPush.Agent.Enrolment;
using KcryptPush.Agent.Hosting;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Messaging;
using KcryptPush.Tpm.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// One broker, <see cref="TpmCount"/> swtpms seeded from a real event log and enrolled through the
/// real registrar, a verifier process whose challenges expire after <see cref="ChallengeExpiry"/>
/// (its interval is long, so no node turns silent while a test runs), a spy on the verdict
/// exchange, and the attacker: an in-process bus with the agent's own request clients
/// (RequestChallenge, QuoteSubmitted), so every message it sends is one the test built.
/// </summary>
public sealed class AttackClassFixture : IAsyncLifetime
{
    public const int TpmCount = 7;
    public static readonly TimeSpan ChallengeExpiry = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private IHost? _attacker;

    public RabbitMqFixture Broker { get; } = new();

    public SwtpmPool Tpms { get; private set; } = null!;

    public KcryptPushServices Services { get; private set; } = null!;

    public ServiceProcess Verifier { get; private set; } = null!;

    public ExchangeSpy Verdicts { get; private set; } = null!;

    public AttackNode[] Nodes { get; private set; } = [];

    public static byte[] SharedLog => File.ReadAllBytes(AttestationClassFixture.SharedLog);

    private IVerifierClient Client => _attacker!.Services.GetRequiredService<IVerifierClient>();

    public async Task InitializeAsync()
    {
        Task<SwtpmPool> tpms = Task.Run(() => SwtpmPool.Start(TpmCount));
        await Broker.InitializeAsync();
        Tpms = await tpms;
        Services = new KcryptPushServices(Broker);
        Services.StartRegistrar(SwtpmPool.CaDirectory(Services.Directory, [.. Tpms.Instances]));
        Verifier = ServiceProcess.Start("verifier", "dotnet",
            [KcryptPushBinaries.Verifier, "run", "--broker", Broker.Uri, "--db", Services.VerifierDb, "--interval", "10m"],
            new Dictionary<string, string?>
            {
                ["KCRYPTPUSH_Verifier__ChallengeExpiry"] = $"{ChallengeExpiry.TotalSeconds:0}s",
                ["KCRYPTPUSH_INTERVAL"] = null,
            });
        await Broker.WaitForConsumersAsync(Patience, KcryptPushServices.RegistrarQueue, KcryptPushQueues.VerifierEnrolment, KcryptPushQueues.VerifierAttestation);
        Verdicts = await ExchangeSpy.StartAsync(Broker.Uri, KcryptPushQueues.VerdictExchange);

        _attacker = AgentHost.Build(
            new Dictionary<string, string?>
            {
                ["Broker:Uri"] = Broker.Uri,
                ["Agent:Tpm"] = Tpms[0].TpmUri,
                ["Agent:RetryMinDelay"] = "00:00:00.200",
            },
            runService: false,
            environment: new Dictionary<string, string?>(),
            logging: l => l.ClearProviders());
        await _attacker.StartAsync();

        // Each TPM as a real machine would look: PCRs extended from the log, then enrolled by the
        // agent's own enrolment state machine (EK certificate, MakeCredential/ActivateCredential).
        Nodes = [.. Enumerable.Range(0, TpmCount).Select(i => new AttackNode(Tpms[i], i))];
        await Task.WhenAll(Nodes.Select(n => Task.Run(() => EnrolAsync(n))));
    }

    /// <summary>RequestChallenge for <paramref name="node"/>; the challenge the verifier issued.</summary>
    public async Task<Challenge> ChallengeAsync(AttackNode node)
    {
        ChallengeReply reply = await Client.RequestChallengeAsync(node.TpmHash, CancellationToken.None);
        return reply.Challenge ?? throw new InvalidOperationException($"no challenge for node {node.Index}: {reply.Refused?.ReasonCode} {reply.Refused?.Message}\n{Diagnostics()}");
    }

    /// <summary>Sends <paramref name="quote"/> to the verifier's attestation queue and returns its AttestationResult.</summary>
    public Task<AttestationResult> SubmitAsync(QuoteSubmitted quote) => Client.SubmitAsync(quote, CancellationToken.None);

    /// <summary>
    /// This fixture's pins of the verifier's key for <c>nodes set-secret</c>: the broker's loopback port is
    /// reused by other fixtures whose verifiers have other keys, so a shared file would (rightly) refuse.
    /// </summary>
    public string KnownVerifiersFile { get; } = Path.Combine(Path.GetTempPath(), $"kcp-known-verifiers-{Guid.NewGuid():N}");

    /// <summary><c>kcrypt-push-verifier nodes ARGS --broker URI</c> as the real executable.</summary>
    public ProcessResult NodesCommand(string? stdin, params string[] args) =>
        // --timeout 45s: the CLI's 10 s default ran out on a loaded 2-core machine (seen as "no answer").
        ProcessRunner.Run("dotnet", [KcryptPushBinaries.Verifier, "nodes", .. args, "--broker", Broker.Uri, "--timeout", "45s"], stdin: stdin, timeout: TimeSpan.FromSeconds(60));

    /// <summary><c>nodes show HASH --json</c>.</summary>
    public JsonElement Show(AttackNode node)
    {
        ProcessResult r = NodesCommand(null, "show", node.TpmHash, "--json");
        Assert.True(r.ExitCode == 0, $"nodes show exit {r.ExitCode}: {r.StdErr}");
        using JsonDocument doc = JsonDocument.Parse(r.StdOut);
        return doc.RootElement.Clone();
    }

    /// <summary>The verifier's and registrar's output, for failure messages.</summary>
    public string Diagnostics() => $"--- verifier ---\n{Verifier?.Output}\n--- registrar ---\n{Services?.Registrar?.Output}";

    public async Task DisposeAsync()
    {
        File.Delete(KnownVerifiersFile);
        if (_attacker is not null)
        {
            await _attacker.StopAsync();
            _attacker.Dispose();
        }

        if (Verdicts is not null)
        {
            await Verdicts.DisposeAsync();
        }

        Verifier?.Dispose();
        Services?.Dispose();
        Tpms?.Dispose();
        await Broker.DisposeAsync();
    }

    private async Task EnrolAsync(AttackNode node)
    {
        EventLogSeeder.Seed(node.Tpm, SharedLog);
        var enroller = new Enroller(
            new TpmAgentTpm(node.Tpm.TpmUri, EkKind.Rsa2048, AkKind.Rsa2048),
            _attacker!.Services.GetRequiredService<IRegistrarClient>(),
            new EnrolmentSettings(node.Hostname, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2)),
            NullLogger<Enroller>.Instance);
        EnrolmentResult result = await enroller.EnrolAsync(CancellationToken.None, Patience);
        if (result.Status != EnrolmentStatus.Enrolled)
        {
            throw new InvalidOperationException($"node {node.Index} not enrolled: {result.Status} {result.Rejection?.ReasonCode} {result.Rejection?.Message}\n{Diagnostics()}");
        }

        node.ReadAk();

        // The verifier learns the node from the registrar's NodeEnrolled: wait until it issues challenges.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            ChallengeReply reply = await Client.RequestChallengeAsync(node.TpmHash, CancellationToken.None);
            if (reply.Challenge is not null)
            {
                return;
            }

            if (clock.Elapsed > Patience)
            {
                throw new TimeoutException($"the verifier never issued a challenge to node {node.Index}: {reply.Refused?.ReasonCode}\n{Diagnostics()}");
            }

            await Task.Delay(200);
        }
    }
}
