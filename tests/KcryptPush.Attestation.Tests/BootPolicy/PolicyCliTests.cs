using System.Runtime.InteropServices;
using System.Text.Json;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;
using KcryptPush.Attestation.Tests.EventLog;

namespace KcryptPush.Attestation.Tests.BootPolicy;

/// <summary><c>policy create</c> and <c>policy run</c> through the real command line on every shared log.</summary>
[Trait("Category", "Unit")]
public sealed class PolicyCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcrypt-policy-cli").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private string Write(string name, byte[] bytes)
    {
        File.WriteAllBytes(PathOf(name), bytes);
        return PathOf(name);
    }

    private string CreatePolicy(string log, params string[] extra)
    {
        string output = PathOf(Path.GetFileNameWithoutExtension(log) + $".{Guid.NewGuid():N}.policy.json");
        (int code, string stdout, string stderr) = CliRunner.Run(["policy", "create", "--from-log", log, "--output", output, .. extra]);
        Assert.True(code == 0, stderr);
        Assert.StartsWith("wrote ", stdout, StringComparison.Ordinal);
        return output;
    }

    /// <summary>Shared logs with at least one EV_EFI_BOOT_SERVICES_APPLICATION on PCR 4.</summary>
    public static TheoryData<string> LogsWithBootApplications()
    {
        var data = new TheoryData<string>();
        foreach (string name in SharedLogs.Names().Where(n => BootApplications(n).Count > 0))
        {
            data.Add(name);
        }
        return data;
    }

    /// <summary>Shared logs that measure db on PCR 7.</summary>
    public static TheoryData<string> LogsMeasuringDb()
    {
        var data = new TheoryData<string>();
        foreach (string name in SharedLogs.Names()
            .Where(n => MeasuredBootEvents.Find(EventLogParser.Parse(SharedLogs.Bytes(n))).Of(SecureBootVariable.Db).Any()))
        {
            data.Add(name);
        }
        return data;
    }

    private static IReadOnlyList<UntrustedEvent> BootApplications(string name) =>
        MeasuredBootEvents.Find(EventLogParser.Parse(SharedLogs.Bytes(name))).BootApplications;

    /// <summary>Flips every digest of <paramref name="e"/> in <paramref name="log"/> (the bytes the parser sliced).</summary>
    private static void FlipDigests(byte[] log, UntrustedEvent e)
    {
        foreach (UntrustedDigest d in e.Digests)
        {
            Assert.True(MemoryMarshal.TryGetArray(d.Digest, out ArraySegment<byte> segment));
            log[segment.Offset] ^= 0x5A;
        }
    }

    [Theory]
    [MemberData(nameof(SharedLogs.All), MemberType = typeof(SharedLogs))]
    public void Create_then_run_on_the_same_log_passes(string name)
    {
        string log = SharedLogs.BinPath(name);
        string policy = CreatePolicy(log);

        (int code, string stdout, string stderr) = CliRunner.Run("policy", "run", "--log", log, "--policy", policy);
        Assert.Equal("", stderr);
        Assert.Equal("pass\n", stdout);
        Assert.Equal(0, code);

        (code, stdout, _) = CliRunner.Run("policy", "run", "--log", log, "--policy", policy, "--json");
        Assert.Equal(0, code);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        Assert.Equal("pass", doc.RootElement.GetProperty("verdict").GetString());
        Assert.DoesNotContain(doc.RootElement.GetProperty("results").EnumerateArray(), r => r.GetProperty("status").GetString() == "failed");
    }

    [Theory]
    [MemberData(nameof(SharedLogs.All), MemberType = typeof(SharedLogs))]
    public void Create_without_output_prints_the_same_policy_json(string name)
    {
        string log = SharedLogs.BinPath(name);
        (int code, string stdout, string stderr) = CliRunner.Run("policy", "create", "--from-log", log);
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Equal(File.ReadAllText(CreatePolicy(log)), stdout);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        Assert.Equal(1, doc.RootElement.GetProperty("version").GetInt32());
        Assert.Equal(BootApplications(name).Count, doc.RootElement.GetProperty("bootApplications").GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(LogsWithBootApplications))]
    public void Altered_boot_application_digest_fails_naming_that_event(string name)
    {
        string policy = CreatePolicy(SharedLogs.BinPath(name));
        byte[] bytes = SharedLogs.Bytes(name);
        IReadOnlyList<UntrustedEvent> apps = MeasuredBootEvents.Find(EventLogParser.Parse(bytes)).BootApplications;
        UntrustedEvent victim = apps[apps.Count / 2];
        FlipDigests(bytes, victim);
        string altered = Write(name + ".altered.bin", bytes);

        (int code, string stdout, string stderr) = CliRunner.Run("policy", "run", "--log", altered, "--policy", policy);
        Assert.Equal(1, code);
        Assert.Equal("", stderr);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("fail: 1 rule check failed", lines[0]);
        string line = Assert.Single(lines.Skip(1));
        Assert.StartsWith($"  boot-application: expected stage {apps.ToList().IndexOf(victim)}", line, StringComparison.Ordinal);
        Assert.EndsWith($"at event #{victim.Index} (PCR 4, EV_EFI_BOOT_SERVICES_APPLICATION, byte offset {victim.Offset})", line, StringComparison.Ordinal);

        (code, stdout, _) = CliRunner.Run("policy", "run", "--log", altered, "--policy", policy, "--json");
        Assert.Equal(1, code);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        Assert.Equal("fail", doc.RootElement.GetProperty("verdict").GetString());
        JsonElement failed = Assert.Single(doc.RootElement.GetProperty("results").EnumerateArray(), r => r.GetProperty("status").GetString() == "failed");
        Assert.Equal("boot-application", failed.GetProperty("rule").GetString());
        Assert.Equal(victim.Index, failed.GetProperty("event").GetProperty("index").GetInt32());
        Assert.Equal(4, failed.GetProperty("event").GetProperty("pcr").GetInt32());
        Assert.Equal(victim.Offset, failed.GetProperty("event").GetProperty("offset").GetInt32());
    }

    [Theory]
    [MemberData(nameof(LogsMeasuringDb))]
    public void Altered_db_digest_fails_naming_the_db_event(string name)
    {
        string policy = CreatePolicy(SharedLogs.BinPath(name));
        byte[] bytes = SharedLogs.Bytes(name);
        UntrustedEvent db = MeasuredBootEvents.Find(EventLogParser.Parse(bytes)).Of(SecureBootVariable.Db).First().Event;
        FlipDigests(bytes, db);

        (int code, string stdout, _) = CliRunner.Run("policy", "run", "--log", Write(name + ".db.bin", bytes), "--policy", policy);
        Assert.Equal(1, code);
        string line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));
        Assert.StartsWith("  db: expected db ", line, StringComparison.Ordinal);
        Assert.EndsWith($"at event #{db.Index} (PCR 7, EV_EFI_VARIABLE_DRIVER_CONFIG, byte offset {db.Offset})", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Secure_boot_policy_fails_on_a_log_with_secure_boot_off()
    {
        string sbPolicy = CreatePolicy(SharedLogs.BinPath("gcp-rhel8-sb"));
        Assert.Equal("enabled", JsonDocument.Parse(File.ReadAllText(sbPolicy)).RootElement.GetProperty("secureBoot").GetString());

        (int code, string stdout, _) = CliRunner.Run("policy", "run", "--log", SharedLogs.BinPath("gcp-ubuntu2104-nosb"), "--policy", sbPolicy);
        Assert.Equal(1, code);
        Assert.Contains("  secure-boot-state: expected SecureBoot enabled, found SecureBoot disabled (value 00) at event #3 (PCR 7, ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Policy_edited_to_require_secure_boot_fails_only_that_rule_on_its_own_log()
    {
        string log = SharedLogs.BinPath("gcp-ubuntu2104-nosb");
        string policy = CreatePolicy(log);
        string text = File.ReadAllText(policy);
        Assert.Contains("\"secureBoot\": \"disabled\"", text, StringComparison.Ordinal);
        File.WriteAllText(policy, text.Replace("\"secureBoot\": \"disabled\"", "\"secureBoot\": \"enabled\"", StringComparison.Ordinal));

        (int code, string stdout, _) = CliRunner.Run("policy", "run", "--log", log, "--policy", policy);
        Assert.Equal(1, code);
        string line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));
        Assert.StartsWith("  secure-boot-state: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Include_ipl_pins_the_kernel_command_line()
    {
        const string name = "gcp-ubuntu2104-nosb";
        string policy = CreatePolicy(SharedLogs.BinPath(name), "--include-ipl");
        Assert.Equal(0, CliRunner.Run("policy", "run", "--log", SharedLogs.BinPath(name), "--policy", policy).ExitCode);

        byte[] bytes = SharedLogs.Bytes(name);
        UntrustedEvent ipl = EventLogParser.Parse(bytes).UntrustedEvents.Last(e => e.EventType == TcgEventType.EV_IPL && e.PcrIndex == 8);
        FlipDigests(bytes, ipl);
        string altered = Write("ipl.bin", bytes);
        (int code, string stdout, _) = CliRunner.Run("policy", "run", "--log", altered, "--policy", policy);
        Assert.Equal(1, code);
        Assert.Contains($"  ipl: expected an allowed EV_IPL digest", stdout, StringComparison.Ordinal);
        Assert.Contains($"at event #{ipl.Index} (PCR 8, EV_IPL", stdout, StringComparison.Ordinal);
        // Without --include-ipl the same change fails too: the boot configuration (PCR 8 here) is pinned by default
        // (this used to pass: EV_IPL was off unless --include-ipl, issue 9 item 2).
        (int defaultCode, string defaultOut, _) = CliRunner.Run("policy", "run", "--log", altered, "--policy", CreatePolicy(SharedLogs.BinPath(name)));
        Assert.Equal(1, defaultCode);
        Assert.Contains($"  boot-config: expected a digest allowed on PCR 8", defaultOut, StringComparison.Ordinal);
        Assert.Contains($"at event #{ipl.Index} (PCR 8, EV_IPL", defaultOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Bank_option_records_the_banks_asked_for()
    {
        string policy = CreatePolicy(SharedLogs.BinPath("gcp-rhel8-sb"), "--bank", "sha1", "--bank", "sha384");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(policy));
        Assert.Equal(["sha1", "sha384"], doc.RootElement.GetProperty("banks").EnumerateArray().Select(b => b.GetString()!));
        Assert.Equal(0, CliRunner.Run("policy", "run", "--log", SharedLogs.BinPath("gcp-rhel8-sb"), "--policy", policy).ExitCode);
    }

    private static void AssertBadInput((int ExitCode, string Stdout, string Stderr) r, string mustMention)
    {
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        string line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(mustMention, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json at all", "not JSON")]
    [InlineData("{\"version\": 2, \"banks\": [\"sha256\"]}", "unsupported version 2")]
    [InlineData("{\"banks\": [\"sha256\"]}", "$.version")]
    [InlineData("{\"version\": 1, \"banks\": [\"md5\"]}", "$.banks[0]")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"bootApplications\": [{\"stage\": 0, \"allowed\": {\"sha256\": [\"zz\"]}}]}", "$.bootApplications[0].allowed.sha256[0]")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"bootApplications\": [{\"stage\": 0, \"allowed\": {\"sha256\": [\"abcd\"]}}]}", "32 bytes")]
    [InlineData("{\"version\": 1, \"banks\": [\"sha256\"], \"secureboot\": \"enabled\"}", "$.secureboot")]
    public void Bad_policy_is_exit_2_with_one_stderr_line(string json, string mustMention)
    {
        string policy = PathOf("bad.json");
        File.WriteAllText(policy, json);
        AssertBadInput(CliRunner.Run("policy", "run", "--log", SharedLogs.BinPath("gcp-rhel8-sb"), "--policy", policy), mustMention);
        AssertBadInput(CliRunner.Run("policy", "run", "--log", SharedLogs.BinPath("gcp-rhel8-sb"), "--policy", policy, "--json"), mustMention);
    }

    [Fact]
    public void Missing_files_and_bad_logs_are_exit_2()
    {
        string policy = CreatePolicy(SharedLogs.BinPath("gcp-rhel8-sb"));
        AssertBadInput(CliRunner.Run("policy", "run", "--log", PathOf("absent.bin"), "--policy", policy), "no such file");
        AssertBadInput(CliRunner.Run("policy", "run", "--log", SharedLogs.BinPath("gcp-rhel8-sb"), "--policy", PathOf("absent.json")), "no such file");
        AssertBadInput(CliRunner.Run("policy", "create", "--from-log", PathOf("absent.bin")), "no such file");
        string truncated = Write("truncated.bin", SharedLogs.Bytes("gcp-rhel8-sb")[..1000]);
        AssertBadInput(CliRunner.Run("policy", "create", "--from-log", truncated), "byte offset");
        AssertBadInput(CliRunner.Run("policy", "run", "--log", truncated, "--policy", policy), "byte offset");
    }

    [Fact]
    public void Usage_errors_are_exit_2()
    {
        AssertBadInput(CliRunner.Run("policy", "run", "--log", SharedLogs.BinPath("gcp-rhel8-sb")), "--policy");
        AssertBadInput(CliRunner.Run("policy", "create"), "--from-log");
        AssertBadInput(CliRunner.Run("policy", "create", "--from-log", SharedLogs.BinPath("gcp-rhel8-sb"), "--bank", "md5"), "md5");
        AssertBadInput(CliRunner.Run("policy", "create", "--from-log", SharedLogs.BinPath("gcp-windows-sha1log"), "--bank", "sha256"), "sha256");
    }
}
