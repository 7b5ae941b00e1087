using System.Security.Cryptography;
using System.Text;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Cli;
using KcryptPush.Verifier.Operator;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary>SetBootPolicy through the operator queue (in-memory bus, real verifier.db), and the command line's own checks.</summary>
[Trait("Category", "Unit")]
public sealed class SetBootPolicyTests : IAsyncLifetime
{
    private const string Alice = "alice";
    private static readonly string AliceActor = OperatorActor.Of(OperatorHarness.BrokerUser, Alice);
    private static readonly string BobActor = OperatorActor.Of(OperatorHarness.BrokerUser, "bob");
    private OperatorHarness _h = null!;

    private static string FedoraPolicy { get; } =
        BootPolicyJson.Write(BootPolicyFactory.Create(EventLogParser.Parse(File.ReadAllBytes(Path.Combine(RepoPaths.EventLogs, "qemu-fedora37-sdboot.bin"))))).TrimEnd();

    private static string Sha(string json) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));

    public async Task InitializeAsync() => _h = await OperatorHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task A_valid_policy_is_stored_as_written_and_audited_and_none_removes_it()
    {
        string hash = _h.Enrol();
        string compact = FedoraPolicy.Replace("\n", "", StringComparison.Ordinal).Replace("  ", "", StringComparison.Ordinal);

        OperatorCommandResult set = await _h.Command(new SetBootPolicy(hash, compact, Alice));
        Assert.True(set.Succeeded, set.Message);
        Assert.Equal($"boot policy attached ({Sha(FedoraPolicy)})", set.Message);
        Assert.Equal(FedoraPolicy, _h.Store.Find(hash)!.BootPolicyJson);
        AuditRecord audit = _h.Store.Audit(hash, 1)[0];
        Assert.Equal((AliceActor, "boot policy", (string?)null, Sha(FedoraPolicy)), (audit.Actor, audit.What, audit.OldValue, audit.NewValue));
        Assert.True((await _h.Show(hash)).Details!.HasBootPolicy);

        OperatorCommandResult again = await _h.Command(new SetBootPolicy(hash, FedoraPolicy, "bob"));
        Assert.True(again.Succeeded);
        Assert.Contains("nothing changed", again.Message, StringComparison.Ordinal);
        Assert.Equal(AliceActor, _h.Store.Audit(hash, 1)[0].Actor);

        OperatorCommandResult removed = await _h.Command(new SetBootPolicy(hash, null, "bob"));
        Assert.True(removed.Succeeded);
        Assert.Contains("fleet default", removed.Message, StringComparison.Ordinal);
        Assert.Null(_h.Store.Find(hash)!.BootPolicyJson);
        Assert.Equal((BobActor, Sha(FedoraPolicy), (string?)null), (_h.Store.Audit(hash, 1)[0].Actor, _h.Store.Audit(hash, 1)[0].OldValue, _h.Store.Audit(hash, 1)[0].NewValue));
        Assert.False((await _h.Show(hash)).Details!.HasBootPolicy);
    }

    [Theory]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"secureBot\": \"enabled\"}", "$.secureBot")]
    [InlineData("{\"version\": 2, \"banks\": [\"sha256\"]}", "$.version")]
    [InlineData("not json", "not JSON")]
    public async Task An_invalid_policy_is_refused_and_nothing_changes(string json, string mentions)
    {
        string hash = _h.Enrol();
        OperatorCommandResult r = await _h.Command(new SetBootPolicy(hash, json, Alice));
        Assert.Equal((false, OperatorResults.Invalid), (r.Succeeded, r.Code));
        Assert.Contains(mentions, r.Message, StringComparison.Ordinal);
        Assert.Null(_h.Store.Find(hash)?.BootPolicyJson);
        Assert.Empty(_h.Store.Audit(hash));
    }

    [Fact]
    public async Task Unknown_nodes_bad_hashes_and_a_missing_operator_are_refused()
    {
        Assert.Equal(OperatorResults.NodeUnknown, (await _h.Command(new SetBootPolicy(OperatorHarness.NewHash(), FedoraPolicy, Alice))).Code);
        Assert.Equal(OperatorResults.Invalid, (await _h.Command(new SetBootPolicy("ABC", FedoraPolicy, Alice))).Code);
        Assert.Equal(OperatorResults.Invalid, (await _h.Command(new SetBootPolicy(_h.Enrol(), FedoraPolicy, " "))).Code);
        Assert.Equal(OperatorResults.Invalid, (await _h.Command(new SetBootPolicy(_h.Enrol(), new string(' ', (1 << 20) + 1), Alice))).Code);
    }

    [Fact]
    public void The_command_line_refuses_a_bad_file_or_argument_before_sending_anything()
    {
        // Port 1: nothing listens; reaching the broker would be exit 1, not 2.
        const string NoBroker = "amqp://guest:guest@127.0.0.1:1/";
        string hash = OperatorHarness.NewHash();
        string dir = Directory.CreateTempSubdirectory("kcrypt-set-boot-policy-").FullName;
        try
        {
            string bad = Path.Combine(dir, "bad.json");
            File.WriteAllText(bad, "{\"version\": 1, \"banks\": [\"sha256\"], \"bootConfig\": [{\"pcr\": 30, \"allowed\": {\"sha256\": []}}]}");
            string good = Path.Combine(dir, "good.json");
            File.WriteAllText(good, FedoraPolicy);
            string[][] cases =
            [
                ["set-boot-policy", hash, bad],
                ["set-boot-policy", hash, Path.Combine(dir, "missing.json")],
                ["set-boot-policy", hash, dir],
                ["set-boot-policy", hash],
                ["set-boot-policy", hash, good, "--none"],
                ["set-boot-policy", "xyz", good],
            ];
            foreach (string[] args in cases)
            {
                var stdout = new StringWriter();
                var stderr = new StringWriter();
                int code = VerifierCli.Run(["nodes", .. args, "--broker", NoBroker, "--timeout", "20s"], stdout, stderr);
                Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}: {stderr}");
                string line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
                Assert.StartsWith("kcrypt-push-verifier: ", line, StringComparison.Ordinal);
                Assert.Equal("", stdout.ToString());
            }

            var err = new StringWriter();
            Assert.Equal(2, VerifierCli.Run(["nodes", "set-boot-policy", hash, bad, "--broker", NoBroker], new StringWriter(), err));
            Assert.Contains("$.bootConfig[0].pcr", err.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
