using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Operator;
using KcryptPush.Verifier.Policies;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary>An operator's quarantine holds through passing evidence (the real GCE quote) until release.</summary>
[Trait("Category", "Unit")]
public sealed class OperatorQuarantinePolicyTests : IDisposable
{
    private readonly PipelineHarness _h = new();
    private readonly SecretTransportKey _key;
    private readonly NodeOperations _ops;
    private readonly AttestationPipeline _pipeline;

    public OperatorQuarantinePolicyTests()
    {
        _key = SecretTransportKey.LoadOrCreate(SecretTransportKey.PathBeside(_h.DbPath));
        _ops = new NodeOperations(_h.Store, _key, _h.Time);
        _pipeline = new AttestationPipeline(_h.Store, _h.Issuer, _h.Options,
            [new AkPolicy(), new PcrSelectiveEnrollmentPolicy(), new AttestationBudgetPolicy(), new OperatorQuarantinePolicy()], _h.Time);
    }

    public void Dispose()
    {
        _key.Dispose();
        _h.Dispose();
    }

    [Fact]
    public void Passing_evidence_does_not_lift_an_operator_quarantine_release_does()
    {
        _h.Store.SetSecret(_h.TpmHash, "COS_PERSISTENT", "pw"u8.ToArray(), "alice", _h.Now);
        Assert.Equal(AttestationVerdicts.Pass, Attest().Result.Verdict);
        Assert.Equal(NodeStates.Trusted, _h.Record.State);

        (OperatorCommandResult r, NodeQuarantined? verdict) = _ops.Quarantine(new QuarantineNode(_h.TpmHash, "disk stolen", "alice"));
        Assert.True(r.Succeeded);
        Assert.NotNull(verdict);

        AttestationOutcome held = Attest(["COS_PERSISTENT"]);
        Assert.Equal(AttestationVerdicts.Fail, held.Result.Verdict);
        AttestationReason reason = Assert.Single(held.Result.Reasons);
        Assert.Equal(AttestationReasonCodes.OperatorQuarantine, reason.Code);
        Assert.Contains("alice: disk stolen", reason.Message, StringComparison.Ordinal);
        Assert.Null(held.Result.Secrets);
        Assert.Null(held.Verdict); // already Quarantined: no second event
        Assert.Equal(NodeStates.Quarantined, _h.Record.State);

        Assert.True(_ops.Release(new ReleaseNode(_h.TpmHash, "bob")).Result.Succeeded);
        Assert.Null(_h.Record.OperatorQuarantine);
        Assert.Equal(NodeStates.Pending, _h.Record.State);
        AttestationOutcome released = Attest(["COS_PERSISTENT"]);
        Assert.Equal(AttestationVerdicts.Pass, released.Result.Verdict);
        Assert.Equal("COS_PERSISTENT", Assert.Single(released.Result.Secrets!).Label);
        Assert.Equal(NodeStates.Trusted, _h.Record.State);
        Assert.Contains(_h.Store.Audit(_h.TpmHash), a => (a.Actor, a.What, a.NewValue) == ("bob", AttestationReasonCodes.OperatorQuarantine, "released"));
    }

    [Fact]
    public void Quarantining_a_node_its_evidence_already_quarantined_holds_it_without_a_second_event()
    {
        var rec = _h.Store.GetOrNew(_h.TpmHash, _h.Now);
        rec.State = NodeStates.Quarantined;
        _h.Store.Save(rec);

        (OperatorCommandResult r, NodeQuarantined? verdict) = _ops.Quarantine(new QuarantineNode(_h.TpmHash, "investigate", "alice"));

        Assert.True(r.Succeeded);
        Assert.Null(verdict);
        Assert.Equal("alice: investigate", _h.Record.OperatorQuarantine);
        Assert.Equal(AttestationReasonCodes.OperatorQuarantine, Assert.Single(Attest().Result.Reasons).Code);
    }

    private AttestationOutcome Attest(string[]? wanted = null) => _pipeline.Evaluate(_h.Quote(_h.Challenge(), wanted: wanted));
}
