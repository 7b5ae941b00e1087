using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Findings;
using KcryptPush.Attestation.Policies;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Attestation.Replay;
using KcryptPush.Attestation.Tests.EventLog;

namespace KcryptPush.Attestation.Tests.BootPolicy;

public sealed class MeasuredBootNodePolicyTests
{
    private const string Name = "gcp-rhel8-sb";

    private static PolicyContext Context(ParsedEventLog? log, IReadOnlyDictionary<TcgAlgorithmId, IReadOnlyDictionary<int, byte[]>>? actual, int passed = 0)
    {
        ReplayVerification? replay = log is null || actual is null ? null : ReplayVerifier.Verify(log, EventLogReplayer.Replay(log), actual);
        return new PolicyContext
        {
            TpmHash = new string('a', 64),
            AkName = new byte[34],
            ReportedPcrs = new PcrValues(),
            EventLog = log,
            Replay = replay,
            PassedAttestations = passed,
        };
    }

    private static IReadOnlyDictionary<TcgAlgorithmId, IReadOnlyDictionary<int, byte[]>> Actual(params TcgAlgorithmId[] banks) =>
        SharedLogs.Actual(SharedLogs.Sidecar(Name)).Where(kv => banks.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);

    [Fact]
    public void Replayed_log_meeting_the_policy_passes()
    {
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes(Name));
        var policy = new MeasuredBootNodePolicy(BootPolicyFactory.Create(log));
        PolicyOutcome outcome = policy.Evaluate(Context(log, Actual(TcgAlgorithmId.Sha1, TcgAlgorithmId.Sha256)));
        Assert.Equal(PolicyDecision.Pass, outcome.Decision);
        Assert.Equal("measured-boot", outcome.Policy);
        Assert.Empty(outcome.Failures);
    }

    [Fact]
    public void Log_breaking_the_policy_fails_with_rule_findings()
    {
        ParsedEventLog good = EventLogParser.Parse(SharedLogs.Bytes(Name));
        MeasuredBootPolicy p = BootPolicyFactory.Create(good);
        var strict = new MeasuredBootPolicy { Banks = p.Banks, SecureBoot = SecureBootState.Disabled, BootApplications = p.BootApplications };
        PolicyOutcome outcome = new MeasuredBootNodePolicy(strict).Evaluate(Context(good, Actual(TcgAlgorithmId.Sha256)));
        Assert.Equal(PolicyDecision.Fail, outcome.Decision);
        Finding f = Assert.Single(outcome.Failures);
        Assert.Equal("BootPolicy.secure-boot-state", f.Code);
    }

    [Fact]
    public void No_log_fails()
    {
        var policy = new MeasuredBootNodePolicy(new MeasuredBootPolicy { Banks = [(ushort)TcgAlgorithmId.Sha256] });
        PolicyOutcome outcome = policy.Evaluate(Context(null, null));
        Assert.Equal(PolicyDecision.Fail, outcome.Decision);
        Assert.Equal(MeasuredBootNodePolicy.NoEventLog, Assert.Single(outcome.Failures).Code);
    }

    [Fact]
    public void Log_that_does_not_replay_fails_before_any_rule()
    {
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes(Name));
        var wrong = Actual(TcgAlgorithmId.Sha256).ToDictionary(kv => kv.Key,
            kv => (IReadOnlyDictionary<int, byte[]>)kv.Value.ToDictionary(p => p.Key, p => p.Key == 4 ? new byte[32] : p.Value));
        PolicyOutcome outcome = new MeasuredBootNodePolicy(BootPolicyFactory.Create(log)).Evaluate(Context(log, wrong));
        Assert.Equal(MeasuredBootNodePolicy.LogNotReplayed, Assert.Single(outcome.Failures).Code);
    }

    [Fact]
    public void Policy_bank_not_quoted_fails()
    {
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes(Name));
        PolicyOutcome outcome = new MeasuredBootNodePolicy(BootPolicyFactory.Create(log)).Evaluate(Context(log, Actual(TcgAlgorithmId.Sha1)));
        Assert.Equal(MeasuredBootNodePolicy.BankNotQuoted, Assert.Single(outcome.Failures).Code);
    }

    private sealed class Fixed(string name, PolicyDecision decision) : INodePolicy
    {
        public string Name => name;

        public PolicyOutcome Evaluate(PolicyContext context) => new(name, decision, []);
    }

    [Theory]
    [InlineData(PolicyDecision.Pass, PolicyDecision.Pass, PolicyDecision.Pass)]
    [InlineData(PolicyDecision.Pass, PolicyDecision.Terminate, PolicyDecision.Terminate)]
    [InlineData(PolicyDecision.Terminate, PolicyDecision.Fail, PolicyDecision.Fail)]
    [InlineData(PolicyDecision.Fail, PolicyDecision.Pass, PolicyDecision.Fail)]
    public void Combined_decision_fail_beats_terminate_beats_pass(PolicyDecision a, PolicyDecision b, PolicyDecision combined)
    {
        NodePolicyEvaluation e = NodePolicyEvaluation.Run([new Fixed("a", a), new Fixed("b", b)], Context(null, null));
        Assert.Equal(combined, e.Decision);
        Assert.Equal(["a", "b"], e.Outcomes.Select(o => o.Policy));
    }
}
