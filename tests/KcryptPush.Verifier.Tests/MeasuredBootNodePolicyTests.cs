using System.Text.Json;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Evidence;
using KcryptPush.Attestation.Findings;
using KcryptPush.Attestation.Replay;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Types;
using KcryptPush.Verifier.Policies;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// The measured-boot policy over the real GCE RHEL 8 Secure Boot log (testdata/eventlogs/gcp-rhel8-sb)
/// replayed against its sidecar's PCR values: the pure checks (finding codes) and the verifier policy
/// (boot-policy-violation reasons, first broken event) from the node's stored policy JSON.
/// </summary>
[Trait("Category", "Unit")]
public sealed class MeasuredBootNodePolicyTests
{
    private const string Name = "gcp-rhel8-sb";

    private static readonly ParsedEventLog Log = EventLogParser.Parse(File.ReadAllBytes(Path.Combine(RepoPaths.EventLogs, Name + ".bin")));

    private static VerifiedEventLog Replay(ParsedEventLog log, IReadOnlyDictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> actual) =>
        EvidenceVerifier.Replay(log, actual).Log;

    private static PolicyContext Context(MeasuredBootPolicy policy, ParsedEventLog log, IReadOnlyDictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> actual, int passed = 0) => new()
    {
        Node = new NodeAttestation { TpmHash = new string('a', 64), BootPolicyJson = BootPolicyJson.Write(policy), AttestationsPassed = passed },
        EnrolledAkName = new byte[34],
        QuotedPcrs = Quoted(actual),
        Log = Replay(log, actual),
        Now = new DateTime(2025, 6, 1, 12, 0, 0, DateTimeKind.Utc),
    };

    /// <summary>What a quote of PCRs 0-23 in the banks of <paramref name="actual"/> shows, as the pipeline passes it:
    /// the actual values, and the reset value of every PCR the log does not extend (none of this log's PCRs 10-23 is extended).</summary>
    private static Dictionary<string, IReadOnlyDictionary<int, byte[]>> Quoted(IReadOnlyDictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> actual) =>
        actual.ToDictionary(kv => TpmAlgorithms.BankName(kv.Key), kv => (IReadOnlyDictionary<int, byte[]>)Enumerable.Range(0, 24).ToDictionary(p => p, p =>
        {
            if (kv.Value.TryGetValue(p, out byte[]? v))
            {
                return v;
            }

            var reset = new byte[TpmAlgorithms.GetDigestSize(kv.Key)];
            PcrInitialValues.Write(p, 0, reset);
            return reset;
        }));

    /// <summary>The sidecar's PCR values (banks and pcrs_not_in_log) of <paramref name="banks"/>.</summary>
    private static IReadOnlyDictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> Actual(params TpmAlgId[] banks)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepoPaths.EventLogs, Name + ".pcrs.json")));
        var actual = new Dictionary<TpmAlgId, Dictionary<int, byte[]>>();
        foreach (string property in new[] { "banks", "pcrs_not_in_log" })
        {
            if (!doc.RootElement.TryGetProperty(property, out JsonElement byBank))
            {
                continue;
            }

            foreach (JsonProperty bank in byBank.EnumerateObject())
            {
                TpmAlgId alg = TpmAlgorithms.TryParsePcrBank(bank.Name, out TpmAlgId parsed)
                    ? parsed
                    : throw new InvalidDataException($"unknown bank {bank.Name} in the sidecar");
                if (!banks.Contains(alg))
                {
                    continue;
                }

                if (!actual.TryGetValue(alg, out Dictionary<int, byte[]>? values))
                {
                    actual[alg] = values = [];
                }

                foreach (JsonProperty pcr in bank.Value.EnumerateObject())
                {
                    values[int.Parse(pcr.Name, System.Globalization.CultureInfo.InvariantCulture)] = Convert.FromHexString(pcr.Value.GetString()!);
                }
            }
        }

        return actual.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<int, byte[]>)kv.Value);
    }

    [Fact]
    public void Replayed_log_meeting_the_policy_passes()
    {
        MeasuredBootPolicy p = BootPolicyFactory.Create(Log);
        var policy = new MeasuredBootNodePolicy();

        var actual = Actual(TpmAlgId.Sha1, TpmAlgId.Sha256);
        IReadOnlyList<Finding> findings = MeasuredBootNodePolicy.Check(p, Replay(Log, actual), Quoted(actual), out BootPolicyEvaluation? evaluation);
        Assert.DoesNotContain(findings, f => f.IsFailure);
        Assert.NotEmpty(findings);
        Assert.True(evaluation!.Passed);

        PolicyDecision d = policy.Evaluate(Context(p, Log, Actual(TpmAlgId.Sha1, TpmAlgId.Sha256)));
        Assert.Equal("measured-boot", policy.Name);
        Assert.Empty(d.Failures);
        Assert.Null(d.FirstBrokenEvent);
        Assert.Empty(d.Changes);
        Assert.False(d.Terminate);
    }

    [Fact]
    public void Log_breaking_the_policy_fails_with_rule_findings()
    {
        MeasuredBootPolicy p = BootPolicyFactory.Create(Log);
        var strict = new MeasuredBootPolicy { Banks = p.Banks, SecureBoot = SecureBootState.Disabled, BootApplications = p.BootApplications };

        IReadOnlyList<Finding> findings = MeasuredBootNodePolicy.Check(strict, Replay(Log, Actual(TpmAlgId.Sha256)), out BootPolicyEvaluation? evaluation);
        Finding f = Assert.Single(findings, x => x.IsFailure);
        Assert.Equal("BootPolicy.secure-boot-state", f.Code);

        PolicyDecision d = new MeasuredBootNodePolicy().Evaluate(Context(strict, Log, Actual(TpmAlgId.Sha256)));
        AttestationReason r = Assert.Single(d.Failures);
        Assert.Equal((AttestationReasonCodes.BootPolicyViolation, f.Message), (r.Code, r.Message));

        // The first broken event is the failing rule's event, from the same evaluation.
        RuleResult failed = Assert.Single(evaluation!.Failures);
        Assert.NotNull(failed.Event);
        Assert.NotNull(d.FirstBrokenEvent);
        Assert.Equal(failed.Event.Index, d.FirstBrokenEvent.Index);
        Assert.Equal(7u, d.FirstBrokenEvent.Pcr);
        Assert.Contains("secure-boot-state: expected", d.FirstBrokenEvent.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void No_log_fails()
    {
        var p = new MeasuredBootPolicy { Banks = [(ushort)TpmAlgId.Sha256] };
        IReadOnlyList<Finding> findings = MeasuredBootNodePolicy.Check(p, null, out BootPolicyEvaluation? evaluation);
        Assert.Equal(MeasuredBootNodePolicy.NoEventLog, Assert.Single(findings, f => f.IsFailure).Code);
        Assert.Null(evaluation);
    }

    [Fact]
    public void Log_that_does_not_replay_fails_before_any_rule()
    {
        var wrong = Actual(TpmAlgId.Sha256).ToDictionary(kv => kv.Key,
            kv => (IReadOnlyDictionary<int, byte[]>)kv.Value.ToDictionary(p => p.Key, p => p.Key == 4 ? new byte[32] : p.Value));
        MeasuredBootPolicy policy = BootPolicyFactory.Create(Log);

        IReadOnlyList<Finding> findings = MeasuredBootNodePolicy.Check(policy, Replay(Log, wrong), out BootPolicyEvaluation? evaluation);
        Finding f = Assert.Single(findings, x => x.IsFailure);
        Assert.Equal(MeasuredBootNodePolicy.LogNotReplayed, f.Code);
        Assert.Null(evaluation);

        PolicyDecision d = new MeasuredBootNodePolicy().Evaluate(Context(policy, Log, wrong));
        Assert.Equal((AttestationReasonCodes.BootPolicyViolation, f.Message), (Assert.Single(d.Failures).Code, d.Failures[0].Message));
        Assert.Null(d.FirstBrokenEvent);
    }

    [Fact]
    public void Policy_bank_not_quoted_fails()
    {
        MeasuredBootPolicy policy = BootPolicyFactory.Create(Log);

        IReadOnlyList<Finding> findings = MeasuredBootNodePolicy.Check(policy, Replay(Log, Actual(TpmAlgId.Sha1)), out BootPolicyEvaluation? evaluation);
        Finding f = Assert.Single(findings, x => x.IsFailure);
        Assert.Equal(MeasuredBootNodePolicy.BankNotQuoted, f.Code);
        Assert.Contains("sha256", f.Message, StringComparison.Ordinal);
        Assert.Null(evaluation);

        PolicyDecision d = new MeasuredBootNodePolicy().Evaluate(Context(policy, Log, Actual(TpmAlgId.Sha1)));
        Assert.Equal((AttestationReasonCodes.BootPolicyViolation, f.Message), (Assert.Single(d.Failures).Code, d.Failures[0].Message));
    }

    [Fact]
    public void A_node_without_a_boot_policy_is_not_checked()
    {
        PolicyContext context = Context(new MeasuredBootPolicy { Banks = [(ushort)TpmAlgId.Sha256] }, Log, Actual(TpmAlgId.Sha1));
        context.Node.BootPolicyJson = null;
        PolicyDecision d = new MeasuredBootNodePolicy().Evaluate(context);
        Assert.Empty(d.Failures);
        Assert.Null(d.FirstBrokenEvent);
    }

    [Fact]
    public void A_policy_that_does_not_load_is_a_violation_every_time()
    {
        PolicyContext context = Context(BootPolicyFactory.Create(Log), Log, Actual(TpmAlgId.Sha256));
        context.Node.BootPolicyJson = "{\"version\": 1, \"banks\": [\"sha256\"], \"secureBot\": \"enabled\"}";
        var policy = new MeasuredBootNodePolicy();
        for (int i = 0; i < 2; i++)
        {
            AttestationReason r = Assert.Single(policy.Evaluate(context).Failures);
            Assert.Equal(AttestationReasonCodes.BootPolicyViolation, r.Code);
            Assert.StartsWith("the node's measured-boot policy does not load: ", r.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_parsed_policy_cache_follows_the_nodes_current_policy()
    {
        MeasuredBootPolicy good = BootPolicyFactory.Create(Log);
        var strict = new MeasuredBootPolicy { Banks = good.Banks, SecureBoot = SecureBootState.Disabled };
        var policy = new MeasuredBootNodePolicy();

        PolicyContext context = Context(good, Log, Actual(TpmAlgId.Sha256));
        string[] documents = [BootPolicyJson.Write(good), BootPolicyJson.Write(strict)];

        // More distinct documents than the cache holds, each still evaluated as itself.
        for (int i = 0; i <= MeasuredBootNodePolicy.CacheCapacity + 1; i++)
        {
            context.Node.BootPolicyJson = documents[i % 2] + new string(' ', i); // same policy, distinct document
            Assert.Equal(i % 2, policy.Evaluate(context).Failures.Count);
        }
    }
}
