using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Tests.EventLog;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.BootPolicy;

[Trait("Category", "Unit")]
public sealed class BootPolicyJsonTests
{
    private const string Sha256Zero = "0000000000000000000000000000000000000000000000000000000000000000";

    private static BootPolicyFormatException Rejected(string json) =>
        Assert.Throws<BootPolicyFormatException>(() => BootPolicyJson.Load(json));

    private static string Policy(string rest) => $"{{\"version\": 1, \"banks\": [\"sha256\"]{rest}}}";

    [Theory]
    [MemberData(nameof(SharedLogs.All), MemberType = typeof(SharedLogs))]
    public void Written_policy_loads_back_to_the_same_json_and_the_same_verdict(string name)
    {
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes(name));
        MeasuredBootPolicy created = BootPolicyFactory.Create(log, new BootPolicyOptions { IncludeIpl = true });
        string json = BootPolicyJson.Write(created);
        MeasuredBootPolicy loaded = BootPolicyJson.Load(json);
        Assert.Equal(json, BootPolicyJson.Write(loaded));
        Assert.True(BootPolicyEvaluator.Evaluate(loaded, log.SelfReplayed()).Passed);
    }

    [Fact]
    public void Minimal_policy_checks_nothing_but_the_bank()
    {
        MeasuredBootPolicy p = BootPolicyJson.Load(Policy(""));
        Assert.Equal([(ushort)TpmAlgId.Sha256], p.Banks);
        Assert.Null(p.SecureBoot);
        Assert.Empty(p.Variables);
        Assert.Null(p.BootApplications);
        Assert.Null(p.Separators);
        Assert.Null(p.Ipl);
    }

    [Fact]
    public void Null_parts_are_not_checked_like_omitted_ones()
    {
        MeasuredBootPolicy p = BootPolicyJson.Load(Policy(", \"secureBoot\": null, \"bootApplications\": null, \"ipl\": null"));
        Assert.Null(p.SecureBoot);
        Assert.Null(p.BootApplications);
    }

    [Theory]
    [InlineData("{\"version\": 2, \"banks\": [\"sha256\"]}", BootPolicyErrorKind.UnsupportedVersion, "$.version")]
    [InlineData("{\"version\": \"1\", \"banks\": [\"sha256\"]}", BootPolicyErrorKind.UnsupportedVersion, "$.version")]
    [InlineData("{\"banks\": [\"sha256\"]}", BootPolicyErrorKind.Malformed, "$.version")]
    [InlineData("[1]", BootPolicyErrorKind.Malformed, "$")]
    [InlineData("{\"version\": 1,", BootPolicyErrorKind.Malformed, "$")]
    [InlineData("{\"version\": 1}", BootPolicyErrorKind.Malformed, "$.banks")]
    [InlineData("{\"version\": 1, \"banks\": []}", BootPolicyErrorKind.Malformed, "$.banks")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha257\"]}", BootPolicyErrorKind.UnknownBank, "$.banks[0]")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha1\", \"sha1\"]}", BootPolicyErrorKind.UnknownBank, "$.banks[1]")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"extra\": true}", BootPolicyErrorKind.Malformed, "$.extra")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"secureBoot\": \"on\"}", BootPolicyErrorKind.Malformed, "$.secureBoot")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"variables\": {\"MokList\": {\"absent\": true}}}", BootPolicyErrorKind.Malformed, "$.variables.MokList")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"variables\": {\"dbx\": {\"absent\": false}}}", BootPolicyErrorKind.Malformed, "$.variables.dbx.absent")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"variables\": {\"dbx\": {}}}", BootPolicyErrorKind.Malformed, "$.variables.dbx")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"variables\": {\"db\": {\"allowed\": {\"sha256\": [\"xyz0\"]}}}}", BootPolicyErrorKind.MalformedHex, "$.variables.db.allowed.sha256[0]")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"variables\": {\"db\": {\"allowed\": {\"sha256\": [\"00ff\"]}}}}", BootPolicyErrorKind.WrongDigestLength, "$.variables.db.allowed.sha256[0]")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"variables\": {\"db\": {\"allowed\": {}}}}", BootPolicyErrorKind.Inconsistent, "$.variables.db.allowed")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"variables\": {\"db\": {\"allowed\": {\"sha1\": [], \"sha256\": []}}}}", BootPolicyErrorKind.Inconsistent, "$.variables.db.allowed.sha1")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"bootApplications\": [{\"stage\": 1, \"allowed\": {\"sha256\": []}}]}", BootPolicyErrorKind.Inconsistent, "$.bootApplications[0].stage")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"ipl\": {\"pcrs\": [24], \"allowed\": {\"sha256\": []}}}", BootPolicyErrorKind.Malformed, "$.ipl.pcrs[0]")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"separators\": [{\"value\": \"00000000\", \"allowed\": {\"sha256\": []}}]}", BootPolicyErrorKind.Malformed, "$.separators[0].pcr")]
    public void Invalid_policy_is_a_typed_error_naming_the_path(string json, BootPolicyErrorKind kind, string path)
    {
        BootPolicyFormatException e = Rejected(json);
        Assert.Equal(kind, e.Kind);
        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sha1_digest_of_sha256_length_is_rejected_with_both_sizes()
    {
        BootPolicyFormatException e = Rejected(
            "{\"version\": 1, \"banks\": [\"sha1\"], \"bootApplications\": [{\"stage\": 0, \"allowed\": {\"sha1\": [\"" + Sha256Zero + "\"]}}]}");
        Assert.Equal(BootPolicyErrorKind.WrongDigestLength, e.Kind);
        Assert.Contains("20 bytes", e.Problem, StringComparison.Ordinal);
        Assert.Contains("got 32 bytes", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Upper_case_hex_and_alternatives_load()
    {
        MeasuredBootPolicy p = BootPolicyJson.Load(Policy(
            ", \"bootApplications\": [{\"stage\": 0, \"path\": \"shim\", \"allowed\": {\"sha256\": [\"" + Sha256Zero.Replace('0', 'A') + "\", \"" + Sha256Zero + "\"]}}]"));
        BootStage stage = Assert.Single(p.BootApplications!);
        Assert.Equal("shim", stage.Path);
        Assert.Equal(2, stage.Allowed.For((ushort)TpmAlgId.Sha256).Count);
        Assert.True(stage.Allowed.Allows((ushort)TpmAlgId.Sha256, new byte[32]));
    }
}
