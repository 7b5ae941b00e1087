using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Policies;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// How the pipeline combines its policies' decisions: every policy runs, in registration order; any
/// failure fails (listing every policy's reasons); else any termination terminates; else pass.
/// </summary>
[Trait("Category", "Unit")]
public sealed class PolicyCombinationTests : IDisposable
{
    private readonly PipelineHarness _h = new();
    private readonly List<string> _ran = [];

    public void Dispose() => _h.Dispose();

    private sealed class Fixed(string name, string says, List<string> ran) : IAttestationPolicy
    {
        public string Name => name;

        public PolicyDecision Evaluate(PolicyContext context)
        {
            ran.Add(name);
            var d = new PolicyDecision { Terminate = says == "terminate" };
            if (says == "fail")
            {
                d.Failures.Add(new AttestationReason("test-" + name, $"policy {name} fails"));
            }

            return d;
        }
    }

    [Theory]
    [InlineData("pass", "pass", AttestationVerdicts.Pass, NodeStates.Trusted)]
    [InlineData("pass", "terminate", AttestationVerdicts.Pass, NodeStates.Terminated)]
    [InlineData("terminate", "fail", AttestationVerdicts.Fail, NodeStates.Quarantined)]
    [InlineData("fail", "pass", AttestationVerdicts.Fail, NodeStates.Quarantined)]
    public void Combined_decision_fail_beats_terminate_beats_pass(string a, string b, string verdict, string state)
    {
        var pipeline = new AttestationPipeline(_h.Store, _h.Issuer, _h.Options, [new Fixed("a", a, _ran), new Fixed("b", b, _ran)], _h.Time);

        AttestationOutcome o = pipeline.Evaluate(_h.Quote(_h.Challenge()));

        Assert.Equal(verdict, o.Result.Verdict);
        Assert.Equal(state, _h.Record.State);
        Assert.Equal(["a", "b"], _ran);
    }

    [Fact]
    public void Every_policy_runs_and_every_failure_is_listed_in_policy_order()
    {
        var pipeline = new AttestationPipeline(_h.Store, _h.Issuer, _h.Options, [new Fixed("a", "fail", _ran), new Fixed("b", "fail", _ran)], _h.Time);

        AttestationOutcome o = pipeline.Evaluate(_h.Quote(_h.Challenge()));

        Assert.Equal(AttestationVerdicts.Fail, o.Result.Verdict);
        Assert.Equal(["test-a", "test-b"], o.Result.Reasons.Select(r => r.Code));
        Assert.Equal(["a", "b"], _ran);
    }
}
