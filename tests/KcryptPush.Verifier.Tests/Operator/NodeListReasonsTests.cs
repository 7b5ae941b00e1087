using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Operator;
using KcryptPush.Verifier.Store;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary>
/// <see cref="NodeOperations.List"/> says why a quarantined node is quarantined (the document both
/// <c>nodes list --json</c> and the status page serialise): the published quarantine's reasons (and a later
/// failure's), failing PCRs and first broken event while the verifier remembers it, else the operator's hold, else the
/// last failed attestation's reasons; nothing for nodes that are not quarantined.
/// </summary>
[Trait("Category", "Unit")]
public sealed class NodeListReasonsTests
{
    private static readonly PcrMismatch Pcr4 = new("sha256", 4, new string('a', 64), new string('b', 64));
    private static readonly BrokenEvent BootApp = new(31, 4, "EV_EFI_BOOT_SERVICES_APPLICATION", "\\EFI\\BOOT\\BOOTX64.EFI: sha256 digest 01, was 02 at the last pass");

    [Fact]
    public async Task A_quarantined_node_lists_the_reasons_of_its_last_failed_attestation_and_a_trusted_one_none()
    {
        await using OperatorHarness h = await OperatorHarness.StartAsync();
        var details = new QuarantineDetails();
        var ops = new NodeOperations(h.Store, h.Key, h.Time, quarantines: details);
        string bad = h.Enrol("bad"), good = h.Enrol("good");
        SetState(h, good, NodeStates.Trusted);
        SetState(h, bad, NodeStates.Quarantined);
        AddHistory(h, bad, AttestationVerdicts.Fail, ("pcr-policy-violation", "PCR sha256:4 is bb.., the policy expects aa.."));
        AddHistory(h, bad, AttestationVerdicts.Retry); // newer than the failure

        NodeSummary[] list = ops.List().Nodes;
        NodeSummary b = list.Single(n => n.TpmHash == bad);
        Assert.Equal(NodeStates.Quarantined, b.State);
        AttestationReason r = Assert.Single(b.Reasons!);
        Assert.Equal(("pcr-policy-violation", "PCR sha256:4 is bb.., the policy expects aa.."), (r.Code, r.Message));
        Assert.Null(b.FailingPcrs);
        Assert.Null(b.FirstBrokenEvent);
        NodeSummary g = list.Single(n => n.TpmHash == good);
        Assert.Null(g.Reasons);
        Assert.Null(g.FailingPcrs);
    }

    [Fact]
    public async Task The_published_quarantine_gives_failing_PCRs_and_the_first_broken_event_until_another_verdict_about_the_node()
    {
        await using OperatorHarness h = await OperatorHarness.StartAsync();
        var details = new QuarantineDetails();
        var ops = new NodeOperations(h.Store, h.Key, h.Time, quarantines: details);
        string hash = h.Enrol("node");
        SetState(h, hash, NodeStates.Quarantined);
        AddHistory(h, hash, AttestationVerdicts.Fail, ("event-log-replay-mismatch", "from the history"));
        details.Seen(Quarantined(hash));

        // The quarantine's reasons first, then those of the last failure when they differ.
        NodeSummary n = Assert.Single(ops.List().Nodes);
        Assert.Equal(["pcr-policy-violation", "event-log-replay-mismatch"], n.Reasons!.Select(r => r.Code));
        Assert.Equal(Pcr4, Assert.Single(n.FailingPcrs!));
        Assert.Equal(BootApp, n.FirstBrokenEvent);

        details.Seen(new NodeReleased(hash, "node", "op", null, NodeStates.Quarantined, h.Time.GetUtcNow()));
        n = Assert.Single(ops.List().Nodes);
        Assert.Equal("from the history", Assert.Single(n.Reasons!).Message);
        Assert.Null(n.FailingPcrs);
    }

    [Fact]
    public async Task An_operator_hold_lists_who_and_why()
    {
        await using OperatorHarness h = await OperatorHarness.StartAsync();
        string hash = h.Enrol("held");
        (OperatorCommandResult result, _) = h.Operations.Quarantine(new QuarantineNode(hash, "stolen laptop", "alice"));
        Assert.True(result.Succeeded, result.Message);

        NodeSummary n = Assert.Single(h.Operations.List().Nodes);
        AttestationReason r = Assert.Single(n.Reasons!);
        Assert.Equal(AttestationReasonCodes.OperatorQuarantine, r.Code);
        Assert.Contains("alice: stolen laptop", r.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddVerifierOperator_feeds_the_list_from_the_verdicts_the_bus_publishes()
    {
        await using OperatorHarness h = await OperatorHarness.StartAsync();
        string hash = h.Enrol("node");
        SetState(h, hash, NodeStates.Quarantined);
        var services = new ServiceCollection();
        services.AddSingleton(h.Nodes).AddSingleton(h.Store).AddSingleton<TimeProvider>(h.Time);
        services.AddVerifierOperator(h.DbPath);
        services.AddMassTransitTestHarness();
        await using ServiceProvider sp = services.BuildServiceProvider(true);
        ITestHarness bus = sp.GetRequiredService<ITestHarness>();
        await bus.Start();
        try
        {
            await bus.Bus.Publish(Quarantined(hash));
            Assert.True(await bus.Published.Any<NodeQuarantined>());
            NodeSummary n = Assert.Single(sp.GetRequiredService<NodeOperations>().List().Nodes);
            Assert.Equal(BootApp, n.FirstBrokenEvent);
            Assert.Equal(Pcr4, Assert.Single(n.FailingPcrs!));
        }
        finally
        {
            await bus.Stop();
        }
    }

    [Fact]
    public async Task A_node_gone_silent_after_its_quarantine_keeps_the_why_and_a_plainly_silent_node_has_none()
    {
        await using OperatorHarness h = await OperatorHarness.StartAsync();
        var details = new QuarantineDetails();
        var ops = new NodeOperations(h.Store, h.Key, h.Time, quarantines: details);
        string failed = h.Enrol("failed"), quiet = h.Enrol("quiet");
        foreach ((string hash, string verdict) in (ReadOnlySpan<(string, string)>)[(failed, AttestationVerdicts.Fail), (quiet, AttestationVerdicts.Pass)])
        {
            NodeAttestation rec = h.Store.GetOrNew(hash, h.Now);
            rec.State = NodeStates.Silent;
            rec.LastVerdict = verdict;
            h.Store.Save(rec);
        }

        details.Seen(Quarantined(failed));
        details.Seen(new NodeSilent(failed, "failed", h.Time.GetUtcNow(), 8, NodeStates.Quarantined, h.Time.GetUtcNow()));
        NodeSummary[] list = ops.List().Nodes;

        NodeSummary f = list.Single(n => n.TpmHash == failed);
        Assert.Equal(NodeStates.Silent, f.State);
        Assert.Equal("pcr-policy-violation", Assert.Single(f.Reasons!).Code);
        Assert.Equal(Pcr4, Assert.Single(f.FailingPcrs!));
        Assert.Equal(BootApp, f.FirstBrokenEvent);
        NodeSummary q = list.Single(n => n.TpmHash == quiet);
        Assert.Null(q.Reasons);
        Assert.Null(q.FailingPcrs);
    }

    private static NodeQuarantined Quarantined(string hash) => new(hash, "node", ["pcr-policy-violation"],
        [new AttestationReason("pcr-policy-violation", "PCR sha256:4 changed")], [Pcr4], BootApp, NodeStates.Trusted, DateTimeOffset.UtcNow);

    private static void SetState(OperatorHarness h, string hash, string state)
    {
        NodeAttestation rec = h.Store.GetOrNew(hash, h.Now);
        rec.State = state;
        h.Store.Save(rec);
    }

    private static void AddHistory(OperatorHarness h, string hash, string verdict, params (string Code, string Message)[] reasons)
    {
        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.Store.AddHistory(new HistoryRecord
        {
            TpmHash = hash,
            At = h.Now,
            ChallengeId = Guid.NewGuid(),
            Verdict = verdict,
            Codes = [.. reasons.Select(r => r.Code)],
            Messages = [.. reasons.Select(r => r.Message)],
        });
    }
}
