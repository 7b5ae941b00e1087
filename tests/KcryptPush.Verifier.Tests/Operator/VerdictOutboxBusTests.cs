using System.Collections.Concurrent;
using System.Security.Cryptography;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Store;
using KcryptPush.Verifier.Verdicts;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary>
/// The verdict outbox against the real verifier process and a private RabbitMQ: events a verifier
/// saved but never published (it died in between, or the broker refused them) go out when it can.
/// </summary>
[Trait("Category", "Integration")]
public sealed class VerdictOutboxBusTests : IClassFixture<RabbitMqFixture>, IAsyncLifetime
{
    private readonly RabbitMqFixture _broker;
    private readonly string _dir = Directory.CreateTempSubdirectory("kcrypt-outbox-bus-").FullName;
    private AlertBus _alerts = null!;

    public VerdictOutboxBusTests(RabbitMqFixture broker)
    {
        _broker = broker;
    }

    private string Db => Path.Combine(_dir, "verifier.db");

    private ConcurrentQueue<(Guid? MessageId, INodeVerdict Verdict)> Received => _alerts.Received;

    // The alert queue exists (bound to the verdict exchanges) before any verifier publishes.
    public async Task InitializeAsync() => _alerts = await AlertBus.StartAsync(_broker.Uri, "kcp-test-outbox-alerts");

    public async Task DisposeAsync()
    {
        await _alerts.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Verdicts_saved_by_a_verifier_that_died_before_publishing_go_out_in_order_when_it_starts_again()
    {
        string hash = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var at = DateTimeOffset.UtcNow;
        PendingVerdict trusted, quarantined;
        using (IVerifierStore store = new LiteDbVerifierStore(Db))
        {
            NodeAttestation rec = store.GetOrNew(hash, at.UtcDateTime);
            trusted = VerdictOutbox.Stage(rec, new NodeTrusted(hash, "node-a", NodeStates.Pending, at), at.UtcDateTime);
            quarantined = VerdictOutbox.Stage(rec, new NodeQuarantined(hash, "node-a", ["pcr-policy-violation"],
                [new AttestationReason("pcr-policy-violation", "PCR 7")], [new PcrMismatch("sha256", 7, "aa", "bb")], null, NodeStates.Trusted, at), at.UtcDateTime);
            rec.State = NodeStates.Quarantined;
            store.Save(rec);
        }

        using VerifierProcess verifier = VerifierProcess.Run("--broker", _broker.Uri, "--db", Db, "--interval", "60s");

        await WaitUntil(() => Received.Count(r => r.Verdict.TpmHash == hash) >= 2, "both verdicts on the exchange", verifier);
        (Guid? MessageId, INodeVerdict Verdict)[] mine = [.. Received.Where(r => r.Verdict.TpmHash == hash)];
        Assert.Equal([trusted.Id, quarantined.Id], mine.Select(r => r.MessageId));
        Assert.IsType<NodeTrusted>(mine[0].Verdict);
        NodeQuarantined q = Assert.IsType<NodeQuarantined>(mine[1].Verdict);
        Assert.Equal((7, "bb"), (q.FailingPcrs[0].Index, q.FailingPcrs[0].Actual));

        // Removed once confirmed (logged after the removal committed): a later restart publishes nothing again.
        await WaitUntil(() => verifier.Output.Contains($"Published NodeQuarantined for {hash}", StringComparison.Ordinal), "the record emptied", verifier);
        Assert.False(verifier.HasExited, verifier.Output);
        verifier.Dispose(); // the verifier holds verifier.db while it runs
        Assert.Empty(Pending(hash));
    }

    [Fact]
    public async Task A_NodeSilent_the_broker_refused_is_kept_and_published_by_the_verifier_started_again()
    {
        // The node falls silent while the verifier hears the broker (silence the verifier could not
        // have heard is no finding), but the broker refuses the event: the verifier's user may not
        // write to the NodeSilent exchange. The state change and its event are saved regardless.
        string user = "outbox-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)), password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await Ctl("add_user", user, password);
        await Ctl("set_permissions", "-p", "/", user, ".*", "^(?!KcryptPush\\.Contracts\\.V1:NodeSilent$).*", ".*");
        string refusedUri = new UriBuilder(_broker.Uri) { UserName = user, Password = password }.Uri.ToString();

        // Interval 1 s: silence after 5 intervals without evidence.
        var verifier = VerifierProcess.Run("--broker", refusedUri, "--db", Db, "--interval", "1s");
        string hash = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var enrolled = new NodeEnrolled(hash, RandomNumberGenerator.GetBytes(64), RandomNumberGenerator.GetBytes(80),
            [0x00, 0x0b, .. RandomNumberGenerator.GetBytes(32)], "node-b", DateTimeOffset.UtcNow);
        PendingVerdict staged;
        try
        {
            await WaitUntil(() => EnrolledAsync(enrolled, verifier).GetAwaiter().GetResult(), "the verifier to learn the node", verifier);
            await WaitUntil(() => verifier.Output.Contains($"Node {hash} (node-b) is silent", StringComparison.Ordinal), "the node to fall silent", verifier);
            await WaitUntil(() => verifier.Output.Contains("Publishing verdict events failed", StringComparison.Ordinal), "the refused publish", verifier);
        }
        finally
        {
            verifier.Dispose(); // killed before it could publish
        }

        // Read with the verifier stopped (it holds verifier.db while it runs): saved, not published.
        Assert.DoesNotContain(Received, r => r.Verdict.TpmHash == hash);
        Assert.Equal(NodeStates.Silent, StateOf(hash));
        staged = Assert.Single(Pending(hash));
        Assert.Equal(nameof(NodeSilent), staged.Type);

        using VerifierProcess restarted = VerifierProcess.Run("--broker", _broker.Uri, "--db", Db, "--interval", "1s");
        await WaitUntil(() => Received.Any(r => r.MessageId == staged.Id), "NodeSilent from the restarted verifier", restarted, TimeSpan.FromSeconds(90));
        NodeSilent silent = Assert.IsType<NodeSilent>(Assert.Single(Received, r => r.MessageId == staged.Id).Verdict);
        Assert.Equal((hash, "node-b", NodeStates.Pending), (silent.TpmHash, silent.Hostname, silent.PreviousState));
        await WaitUntil(() => restarted.Output.Contains($"Published NodeSilent for {hash}", StringComparison.Ordinal), "the record emptied", restarted);
        Assert.False(restarted.HasExited, restarted.Output);
        restarted.Dispose();
        Assert.Empty(Pending(hash));
    }

    private async Task Ctl(params string[] args)
    {
        (int code, string stdout, string stderr) = await _broker.Ctl(args);
        Assert.True(code == 0, $"rabbitmqctl {string.Join(' ', args)}: {stdout}{stderr}");
    }

    // The verifier declares its enrolment queue when it starts: publish until it has the node (it logs
    // the node once its unit committed; the file is its own while it runs).
    private async Task<bool> EnrolledAsync(NodeEnrolled enrolled, VerifierProcess verifier)
    {
        await _alerts.Bus.Publish(enrolled);
        await Task.Delay(300);
        return verifier.Output.Contains($"Node {enrolled.TpmHash} ({enrolled.Hostname}) added or updated", StringComparison.Ordinal);
    }

    // Only with the verifier stopped.
    private string? StateOf(string hash)
    {
        using var store = new LiteDbVerifierStore(Db, new VerifierStoreOptions { ReadOnly = true });
        return store.FindAttestation(hash)?.State;
    }

    // Only with the verifier stopped.
    private List<PendingVerdict> Pending(string hash)
    {
        using var store = new LiteDbVerifierStore(Db, new VerifierStoreOptions { ReadOnly = true });
        return store.FindAttestation(hash)?.PendingVerdicts ?? [];
    }

    private static async Task WaitUntil(Func<bool> condition, string what, VerifierProcess verifier, TimeSpan? patience = null)
    {
        DateTime until = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(45));
        while (DateTime.UtcNow < until)
        {
            if (condition())
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"waited in vain for {what}\n{verifier.Output}");
    }
}
