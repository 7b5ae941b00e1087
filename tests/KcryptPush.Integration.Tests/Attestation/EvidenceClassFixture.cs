using System.Collections.Concurrent;
using KcryptPush.Agent.Attestation;
using KcryptPush.Agent.Enrolment;
using KcryptPush.Agent.Hosting;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Messaging;
using KcryptPush.Tpm.Client;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// The attack set-up (<see cref="AttackClassFixture"/>: one broker, swtpms seeded from the shared log
/// and enrolled through the real registrar, a real verifier process, a spy on the verdict exchange and
/// an in-process attacker with the agent's request clients), with its own verifier settings, for the
/// evidence binding, release and withheld-evidence tests: their nodes are rebooted, extended, and
/// quarantined, so they get TPMs of their own. It also knows where the verifier keeps its store, and
/// records every sealed secret the verifier answered with.
/// </summary>
public abstract class EvidenceClassFixture : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TimeSpan _interval;
    private readonly int _silentIntervals;
    private readonly TimeSpan _challengeExpiry;
    private readonly ConcurrentQueue<SealedSecret> _released = new();
    private IHost? _attacker;
    private IHost? _operator;
    private BrokerFirehose? _firehose;

    /// <param name="tpmCount">Enrolled swtpms (one per test that disturbs its node).</param>
    /// <param name="interval">The verifier's --interval (the silence detector's unit).</param>
    /// <param name="silentIntervals">Intervals without evidence before NodeSilent.</param>
    /// <param name="challengeExpiry">How long a challenge is valid.</param>
    protected EvidenceClassFixture(int tpmCount, TimeSpan interval, int silentIntervals, TimeSpan challengeExpiry)
    {
        TpmCount = tpmCount;
        _interval = interval;
        _silentIntervals = silentIntervals;
        _challengeExpiry = challengeExpiry;
    }

    public int TpmCount { get; }

    /// <summary>The verifier's interval.</summary>
    public TimeSpan Interval => _interval;

    /// <summary>How long a node may push no evidence before the verifier reports it silent.</summary>
    public TimeSpan SilenceThreshold => _silentIntervals * Interval;

    public RabbitMqFixture Broker { get; } = new();

    public SwtpmPool Tpms { get; private set; } = null!;

    public KcryptPushServices Services { get; private set; } = null!;

    public ServiceProcess Verifier { get; private set; } = null!;

    public ExchangeSpy Verdicts { get; private set; } = null!;

    public AttackNode[] Nodes { get; private set; } = [];

    /// <summary>The directory of the verifier's --db file (its LiteDB file and journal, its key files).</summary>
    public string VerifierDbDirectory => Path.GetDirectoryName(Services.VerifierDb)!;

    /// <summary>Every sealed secret in an AttestationResult this fixture received.</summary>
    public IReadOnlyList<SealedSecret> Released => [.. _released];

    public static byte[] SharedLog => AttackClassFixture.SharedLog;

    private IVerifierClient Client => _attacker!.Services.GetRequiredService<IVerifierClient>();

    public async Task InitializeAsync()
    {
        Task<SwtpmPool> tpms = Task.Run(() => SwtpmPool.Start(TpmCount));
        await Broker.InitializeAsync();
        Tpms = await tpms;
        Services = new KcryptPushServices(Broker);
        Services.StartRegistrar(SwtpmPool.CaDirectory(Services.Directory, [.. Tpms.Instances]));
        Verifier = ServiceProcess.Start("verifier", "dotnet",
            [KcryptPushBinaries.Verifier, "run", "--broker", Broker.Uri, "--db", Services.VerifierDb, "--interval", Seconds(_interval)],
            new Dictionary<string, string?>
            {
                ["KCRYPTPUSH_Verifier__ChallengeExpiry"] = Seconds(_challengeExpiry),
                ["KCRYPTPUSH_Verifier__SilentIntervals"] = _silentIntervals.ToString(System.Globalization.CultureInfo.InvariantCulture),
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

        // ShowNode goes over a MassTransit bus of the test's own (as 'nodes show' would send it): the
        // agent's host has no MassTransit bus since the agent speaks to the services with its own client.
        HostApplicationBuilder operatorBus = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        operatorBus.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Broker:Uri"] = Broker.Uri });
        operatorBus.Services.AddKcryptPushBus(operatorBus.Configuration);
        _operator = operatorBus.Build();
        await _operator.StartAsync();

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
    public async Task<AttestationResult> SubmitAsync(QuoteSubmitted quote)
    {
        AttestationResult result = await Client.SubmitAsync(quote, CancellationToken.None);
        foreach (SealedSecret s in result.Secrets ?? [])
        {
            _released.Enqueue(s);
        }

        return result;
    }

    /// <summary>
    /// This fixture's pins of the verifier's key for <c>nodes set-secret</c>: the broker's loopback port is
    /// reused by other fixtures whose verifiers have other keys, so a shared file would (rightly) refuse.
    /// </summary>
    public string KnownVerifiersFile { get; } = Path.Combine(Path.GetTempPath(), $"kcp-known-verifiers-{Guid.NewGuid():N}");

    /// <summary>
    /// <c>kcrypt-push-verifier nodes ARGS --broker URI</c> as the real executable, with a generous
    /// <c>--timeout</c> (a loaded 2-core machine running three such fixtures answered after its 10 s default).
    /// </summary>
    public ProcessResult NodesCommand(string? stdin, params string[] args) =>
        ProcessRunner.Run("dotnet", [KcryptPushBinaries.Verifier, "nodes", .. args, "--broker", Broker.Uri, "--timeout", "60s"], stdin: stdin, timeout: TimeSpan.FromSeconds(90));

    /// <summary><c>nodes set-secret HASH LABEL</c> with the passphrase on stdin, as an operator does.</summary>
    public void SetSecret(AttackNode node, string label, string passphrase)
    {
        ProcessResult r = NodesCommand(passphrase + "\n", "set-secret", node.TpmHash, label, "--operator", "evidence-test", "--known-verifiers", KnownVerifiersFile);
        Assert.True(r.ExitCode == 0, $"set-secret exit {r.ExitCode}: {r.StdErr}{r.StdOut}");
    }

    /// <summary>
    /// What <c>nodes show</c> prints, asked over the test's own bus (ShowNode to the verifier's operator
    /// queue, the request the command sends) rather than by starting the command each time.
    /// </summary>
    public async Task<NodeDetails> ShowAsync(AttackNode node)
    {
        IRequestClient<ShowNode> client = _operator!.Services.GetRequiredService<IBus>()
            .CreateRequestClient<ShowNode>(new Uri($"queue:{KcryptPushQueues.VerifierOperator}"), RequestTimeout.After(s: 60));
        Response<NodeDetails, OperatorCommandResult> r = await client.GetResponse<NodeDetails, OperatorCommandResult>(new ShowNode(node.TpmHash));
        return r.Is(out Response<NodeDetails>? details)
            ? details.Message
            : throw new InvalidOperationException($"nodes show {node.TpmHash}: {(r.Is(out Response<OperatorCommandResult>? refused) ? refused.Message.Message : "no answer")}");
    }

    /// <summary>The broker's firehose (started on first use): a copy of every message published from then on.</summary>
    public async Task<BrokerFirehose> FirehoseAsync() => _firehose ??= await BrokerFirehose.StartAsync(Broker);

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

        if (_operator is not null)
        {
            await _operator.StopAsync();
            _operator.Dispose();
        }

        if (Verdicts is not null)
        {
            await Verdicts.DisposeAsync();
        }

        if (_firehose is not null)
        {
            await _firehose.DisposeAsync();
        }

        Verifier?.Dispose();
        Services?.Dispose();
        Tpms?.Dispose();
        await Broker.DisposeAsync();
    }

    private static string Seconds(TimeSpan t) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{t.TotalSeconds:0}s");

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

/// <summary>
/// For the release and evidence binding tests: a long interval (no node turns silent while a test
/// runs) and challenges valid long enough for a TPM reboot between quote and submission.
/// </summary>
public sealed class BindingClassFixture() : EvidenceClassFixture(tpmCount: 5, interval: TimeSpan.FromMinutes(10), silentIntervals: 5, challengeExpiry: TimeSpan.FromSeconds(60));

/// <summary>
/// For the withheld-evidence tests: a 3 s interval and a silence threshold of 5 intervals (15 s), so
/// a node that pushes no complete evidence is reported silent while the test waits.
/// </summary>
public sealed class WithheldClassFixture() : EvidenceClassFixture(tpmCount: 4, interval: TimeSpan.FromSeconds(3), silentIntervals: 5, challengeExpiry: TimeSpan.FromSeconds(30));
