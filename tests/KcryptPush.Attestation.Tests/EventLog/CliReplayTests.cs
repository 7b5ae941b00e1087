using System.Text.Json;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Replay;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.EventLog;

[Trait("Category", "Unit")]
public class CliReplayTests
{
    [Theory]
    [MemberData(nameof(SharedLogs.All), MemberType = typeof(SharedLogs))]
    public void Replay_json_of_every_shared_log_equals_its_sidecar(string name)
    {
        JsonElement sidecar = SharedLogs.Sidecar(name);
        (int code, string stdout, string stderr) = CliRunner.Run("eventlog", "replay", SharedLogs.BinPath(name), "--json");

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        using JsonDocument output = JsonDocument.Parse(stdout);
        Assert.Equal(sidecar.GetProperty("events").GetInt32(), output.RootElement.GetProperty("events").GetInt32());

        // Expected: the sidecar's real values, except where the log is known to replay to naive_replay.
        Dictionary<string, Dictionary<int, string>> expected = SharedLogs.Banks(sidecar, "banks");
        foreach ((string bank, Dictionary<int, string> pcrs) in SharedLogs.Banks(sidecar, "naive_replay"))
        {
            foreach ((int pcr, string hex) in pcrs)
            {
                expected[bank][pcr] = hex;
            }
        }

        Dictionary<string, Dictionary<int, string>> actual = output.RootElement.GetProperty("banks").EnumerateObject()
            .ToDictionary(b => b.Name, b => b.Value.EnumerateObject().ToDictionary(p => int.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture), p => p.Value.GetString()!));
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach ((string bank, Dictionary<int, string> pcrs) in expected)
        {
            Assert.Equal(pcrs.OrderBy(p => p.Key), actual[bank].OrderBy(p => p.Key));
        }
    }

    [Theory]
    [MemberData(nameof(SharedLogs.All), MemberType = typeof(SharedLogs))]
    public void Replay_json_keys_are_sorted_numerically_and_hex_is_lowercase(string name)
    {
        (_, string stdout, _) = CliRunner.Run("eventlog", "replay", "--json", SharedLogs.BinPath(name));
        using JsonDocument output = JsonDocument.Parse(stdout);
        foreach (JsonProperty bank in output.RootElement.GetProperty("banks").EnumerateObject())
        {
            int[] keys = bank.Value.EnumerateObject().Select(p => int.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(keys.Order(), keys);
            Assert.All(bank.Value.EnumerateObject(), p => Assert.Equal(p.Value.GetString()!.ToLowerInvariant(), p.Value.GetString()));
        }
    }

    [Theory]
    [MemberData(nameof(SharedLogs.All), MemberType = typeof(SharedLogs))]
    public void Verification_against_sidecar_values_matches_or_names_the_workaround(string name)
    {
        JsonElement sidecar = SharedLogs.Sidecar(name);
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes(name));
        ReplayResult replay = EventLogReplayer.Replay(log);
        ReplayVerification verification = ReplayVerifier.Verify(log, replay, SharedLogs.Actual(sidecar));
        Dictionary<string, Dictionary<int, string>> naive = SharedLogs.Banks(sidecar, "naive_replay");

        Assert.Empty(verification.Mismatches);
        Assert.DoesNotContain(verification.Checks, c => c.Status == PcrCheckStatus.NotInActual);
        foreach (PcrCheck check in verification.Checks)
        {
            bool known = naive.TryGetValue(check.Bank, out Dictionary<int, string>? pcrs) && pcrs.ContainsKey(check.Pcr);
            Assert.Equal(known ? PcrCheckStatus.MatchedOnlyWithWorkaround : PcrCheckStatus.Matched, check.Status);
        }
    }

    [Fact]
    public void Ebs_missing_log_fails_strict_verification_on_pcr5_and_matches_only_with_the_named_workaround()
    {
        const string name = "hp-debian-ebs-missing-sha1log";
        JsonElement sidecar = SharedLogs.Sidecar(name);
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes(name));
        ReplayResult replay = EventLogReplayer.Replay(log);

        Assert.Equal(SharedLogs.Banks(sidecar, "naive_replay")["sha1"][5], Convert.ToHexStringLower(replay.Bank((ushort)TpmAlgId.Sha1)!.Pcrs[5]));

        ReplayVerification strict = ReplayVerifier.Verify(log, replay, SharedLogs.Actual(sidecar), []);
        PcrCheck failed = Assert.Single(strict.Mismatches);
        Assert.Equal(("sha1", 5), (failed.Bank, failed.Pcr));
        Assert.Equal(SharedLogs.Banks(sidecar, "banks")["sha1"][5], Convert.ToHexStringLower(failed.Actual!));
        Assert.NotEmpty(failed.EventIndices);
        Assert.All(failed.EventIndices, i => Assert.Equal(5u, log.UntrustedEvents[i].PcrIndex));
        Assert.False(strict.Succeeded);

        ReplayVerification lenient = ReplayVerifier.Verify(log, replay, SharedLogs.Actual(sidecar));
        PcrCheck fixedPcr = Assert.Single(lenient.Workarounds);
        Assert.Equal(5, fixedPcr.Pcr);
        Assert.Equal("EBS Invocation + Success", fixedPcr.Workaround);
        Assert.True(lenient.Succeeded);
        Assert.False(lenient.MatchedStrictly);
        Assert.Contains("matched only with workaround", fixedPcr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Workaround_is_not_applied_to_a_pcr5_that_already_matches()
    {
        const string name = "qemu-fedora37-sdboot"; // logs both ExitBootServices events itself
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes(name));
        ReplayVerification v = ReplayVerifier.Verify(log, EventLogReplayer.Replay(log), SharedLogs.Actual(SharedLogs.Sidecar(name)));
        Assert.True(v.MatchedStrictly);
        Assert.Empty(v.Workarounds);
    }

    [Fact]
    public void Replay_without_json_prints_a_table_with_every_bank_and_pcr()
    {
        const string name = "gcp-ubuntu2104-nosb";
        (int code, string stdout, string stderr) = CliRunner.Run("eventlog", "replay", SharedLogs.BinPath(name));
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        foreach ((string bank, Dictionary<int, string> pcrs) in SharedLogs.Banks(SharedLogs.Sidecar(name), "banks"))
        {
            Assert.Contains($"bank {bank}", stdout, StringComparison.Ordinal);
            Assert.All(pcrs, p => Assert.Contains($"{p.Key,3}  {p.Value}", stdout, StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(SharedLogs.All), MemberType = typeof(SharedLogs))]
    public void Show_json_lists_every_event_with_a_decoded_body(string name)
    {
        (int code, string stdout, string stderr) = CliRunner.Run("eventlog", "show", "--json", SharedLogs.BinPath(name));
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        using JsonDocument output = JsonDocument.Parse(stdout);
        Assert.Equal(SharedLogs.Sidecar(name).GetProperty("events").GetInt32(), output.RootElement.GetArrayLength());
        int index = 0;
        foreach (JsonElement e in output.RootElement.EnumerateArray())
        {
            Assert.Equal(index++, e.GetProperty("index").GetInt32());
            Assert.StartsWith("EV_", e.GetProperty("type").GetString(), StringComparison.Ordinal);
            // Every body of these real logs decodes (none is reported undecodable).
            Assert.NotEqual("undecodable", e.GetProperty("decoded").GetProperty("kind").GetString());
        }
    }

    [Fact]
    public void Show_text_decodes_image_load_device_paths_and_certificates()
    {
        (int code, string stdout, _) = CliRunner.Run("eventlog", "show", SharedLogs.BinPath("shim-sb-certs"));
        Assert.Equal(0, code);
        Assert.Contains(@"PciRoot(0x0)/Pci(0x3,0x0)/Scsi(0x1,0x0)/HD(15,GPT,27872a8b-87fc-49c2-bf27-3afc4cf84586,0x2800,0x35000)/\EFI\BOOT\BOOTX64.EFI", stdout, StringComparison.Ordinal);
        Assert.Contains("x509: CN=Microsoft Corporation KEK CA 2011", stdout, StringComparison.Ordinal);
        Assert.Contains("EFI_IMAGE_SECURITY_DATABASE:dbx (3724 bytes): 77 x EFI_CERT_SHA256", stdout, StringComparison.Ordinal);
    }
}
