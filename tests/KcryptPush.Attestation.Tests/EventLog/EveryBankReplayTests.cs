using System.Globalization;
using System.Text;
using System.Text.Json;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;
using KcryptPush.Attestation.Replay;
using KcryptPush.Attestation.Tests.BootPolicy;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.EventLog;

/// <summary>
/// Issue 9 item 7, "every bank": a crypto-agile log replays in every bank it declares, sm3_256 and
/// sha3_* included (OpenSSL's EVP), and a bank nothing here computes is listed with its reason in
/// <c>eventlog replay</c>'s JSON and text, never dropped.
/// </summary>
[Trait("Category", "Unit")]
public sealed class EveryBankReplayTests : IDisposable
{
    private static readonly byte[] Separator = [0, 0, 0, 0];

    private readonly string _dir = Directory.CreateTempSubdirectory("kcrypt-every-bank").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A boot with StartupLocality 3, PCR 0 firmware, Secure Boot variables on PCR 7, a boot
    /// application on PCR 4, separators 0-7, an EV_IPL on PCR 8 and a DRTM-range PCR 18 event.</summary>
    private static MultiBankLogBuilder TypicalBoot(params (ushort Alg, ushort Size)[] banks)
    {
        var b = new MultiBankLogBuilder(banks)
            .StartupLocality(3)
            .Event(0, TcgEventType.EV_S_CRTM_VERSION, Encoding.Unicode.GetBytes("1.00\0"))
            .Event(0, TcgEventType.EV_POST_CODE, Encoding.ASCII.GetBytes("POST CODE"))
            .Event(7, TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG, BootLogBuilder.VariableData(KnownGuids.EfiGlobalVariable, "SecureBoot", [1]))
            .Event(7, TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG, BootLogBuilder.VariableData(KnownGuids.EfiGlobalVariable, "PK", Encoding.ASCII.GetBytes("pk-cert")));
        for (uint pcr = 0; pcr <= 7; pcr++)
        {
            b.Event(pcr, TcgEventType.EV_SEPARATOR, Separator);
        }
        return b
            .Event(4, TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION, Encoding.ASCII.GetBytes("shimx64.efi image"))
            .Event(8, TcgEventType.EV_IPL, Encoding.ASCII.GetBytes("grub_cmd: linux /vmlinuz\0"))
            .Event(18, TcgEventType.EV_EVENT_TAG, Encoding.ASCII.GetBytes("drtm range"));
    }

    private static (ushort, ushort) Bank(TpmAlgId alg) => ((ushort)alg, (ushort)TpmAlgorithms.GetDigestSize(alg));

    private static readonly (ushort, ushort)[] AllKnownBanks =
    [
        Bank(TpmAlgId.Sha1), Bank(TpmAlgId.Sha256), Bank(TpmAlgId.Sha384), Bank(TpmAlgId.Sha512),
        Bank(TpmAlgId.Sm3_256), Bank(TpmAlgId.Sha3_256), Bank(TpmAlgId.Sha3_384), Bank(TpmAlgId.Sha3_512),
    ];

    /// <summary>"banks" of the replay JSON read the way CliReplayTests (and any consumer) reads it.</summary>
    private static Dictionary<string, Dictionary<int, string>> BanksOf(JsonElement root) =>
        root.GetProperty("banks").EnumerateObject().ToDictionary(
            b => b.Name,
            b => b.Value.EnumerateObject().ToDictionary(p => int.Parse(p.Name, CultureInfo.InvariantCulture), p => p.Value.GetString()!));

    private static void AssertSameBanks(Dictionary<string, Dictionary<int, string>> expected, Dictionary<string, Dictionary<int, string>> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach ((string bank, Dictionary<int, string> pcrs) in expected)
        {
            Assert.Equal(pcrs.OrderBy(p => p.Key), actual[bank].OrderBy(p => p.Key));
        }
    }

    [Fact]
    public void Replay_json_of_a_log_with_all_eight_known_banks_has_every_bank_sm3_256_included_with_independent_values()
    {
        MultiBankLogBuilder builder = TypicalBoot(AllKnownBanks);
        string path = Write("eight-banks.bin", builder.Build());

        (int code, string stdout, string stderr) = CliRunner.Run("eventlog", "replay", path, "--json");

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        using JsonDocument output = JsonDocument.Parse(stdout);
        Dictionary<string, Dictionary<int, string>> expected = builder.Expected();
        Assert.Equal(["sha1", "sha256", "sha384", "sha3_256", "sha3_384", "sha3_512", "sha512", "sm3_256"], expected.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 18], expected["sm3_256"].Keys.Order());
        AssertSameBanks(expected, BanksOf(output.RootElement));
        Assert.Equal(builder.EventCount, output.RootElement.GetProperty("events").GetInt32());
        Assert.Equal(0, output.RootElement.GetProperty("unreplayedBanks").GetArrayLength());
    }

    [Fact]
    public void Sm3_bank_replays_and_verifies_against_quoted_values()
    {
        MultiBankLogBuilder builder = TypicalBoot(Bank(TpmAlgId.Sha256), Bank(TpmAlgId.Sm3_256));
        ParsedEventLog log = EventLogParser.Parse(builder.Build());

        ReplayResult replay = EventLogReplayer.Replay(log, [TpmAlgId.Sm3_256]);

        ReplayedBank sm3 = Assert.Single(replay.Banks);
        Assert.Equal("sm3_256", sm3.Name);
        Assert.Empty(replay.UnreplayableBanks);
        Assert.Empty(replay.NotReplayed);
        Dictionary<int, string> expected = builder.Expected()["sm3_256"];
        Assert.Equal(expected.OrderBy(p => p.Key), sm3.Pcrs.Select(p => KeyValuePair.Create(p.Key, Convert.ToHexStringLower(p.Value))));

        var quoted = new Dictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>>
        {
            [TpmAlgId.Sm3_256] = expected.ToDictionary(p => p.Key, p => Convert.FromHexString(p.Value)),
        };
        ReplayVerification ok = ReplayVerifier.Verify(log, replay, quoted, []);
        Assert.True(ok.MatchedStrictly);
        Assert.Equal(expected.Count, ok.Checks.Count);

        byte[] changed = Convert.FromHexString(expected[7]);
        changed[0] ^= 1;
        ((Dictionary<int, byte[]>)quoted[TpmAlgId.Sm3_256])[7] = changed;
        PcrCheck bad = Assert.Single(ReplayVerifier.Verify(log, replay, quoted, []).Mismatches);
        Assert.Equal(("sm3_256", 7), (bad.Bank, bad.Pcr));
    }

    [Fact]
    public void Unknown_bank_is_listed_with_its_reason_in_replay_json_and_the_known_banks_keep_their_shape()
    {
        MultiBankLogBuilder builder = TypicalBoot(Bank(TpmAlgId.Sha256), (0x1234, 40), Bank(TpmAlgId.Sm3_256));
        string path = Write("unknown-bank.bin", builder.Build());

        (int code, string stdout, string stderr) = CliRunner.Run("eventlog", "replay", "--json", path);

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        using JsonDocument output = JsonDocument.Parse(stdout);
        AssertSameBanks(builder.Expected(), BanksOf(output.RootElement)); // sha256 and sm3_256, as before
        JsonElement unreplayed = Assert.Single(output.RootElement.GetProperty("unreplayedBanks").EnumerateArray());
        Assert.Equal("alg_0x1234", unreplayed.GetProperty("bank").GetString());
        Assert.Equal("0x1234", unreplayed.GetProperty("algorithmId").GetString());
        Assert.Equal(40, unreplayed.GetProperty("digestSize").GetInt32());
        Assert.Contains("unknown algorithm 0x1234", unreplayed.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("alg_0x1234", BanksOf(output.RootElement).Keys);
    }

    [Fact]
    public void Unknown_bank_is_listed_with_its_reason_in_the_replay_table()
    {
        MultiBankLogBuilder builder = TypicalBoot(Bank(TpmAlgId.Sha256), (0x1234, 40), Bank(TpmAlgId.Sm3_256));
        string path = Write("unknown-bank.bin", builder.Build());

        (int code, string stdout, string stderr) = CliRunner.Run("eventlog", "replay", path);

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        foreach ((string bank, Dictionary<int, string> pcrs) in builder.Expected())
        {
            Assert.Contains($"bank {bank}\n", stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
            Assert.All(pcrs, p => Assert.Contains($"{p.Key,3}  {p.Value}", stdout, StringComparison.Ordinal));
        }
        string line = Assert.Single(stdout.Split('\n'), l => l.Contains("alg_0x1234", StringComparison.Ordinal));
        Assert.Contains("not replayed", line, StringComparison.Ordinal);
        Assert.Contains("unknown algorithm 0x1234", line, StringComparison.Ordinal);
        Assert.Contains("40-byte", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_result_lists_every_unreplayed_bank_in_log_order_with_a_reason()
    {
        ParsedEventLog log = EventLogParser.Parse(
            TypicalBoot((0x7777, 24), Bank(TpmAlgId.Sm3_256), (0x1234, 40)).Build());

        ReplayResult replay = EventLogReplayer.Replay(log);

        Assert.Equal(["sm3_256"], replay.Banks.Select(b => b.Name));
        Assert.Equal([(ushort)0x7777, (ushort)0x1234], replay.UnreplayableBanks);
        Assert.Equal([("alg_0x7777", (ushort)24), ("alg_0x1234", (ushort)40)], replay.NotReplayed.Select(b => (b.Name, b.DigestSize)));
        Assert.All(replay.NotReplayed, b => Assert.StartsWith($"unknown algorithm 0x{b.AlgorithmId:x4}", b.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public void An_edited_sm3_digest_is_reported_by_the_digest_check()
    {
        // The PCR 7 separator's SM3 digest is not SM3(00000000); its SHA-256 digest is right.
        byte[] wrong = new byte[32];
        wrong[0] = 0x5A;
        MultiBankLogBuilder builder = new MultiBankLogBuilder(Bank(TpmAlgId.Sha256), Bank(TpmAlgId.Sm3_256))
            .Event(7, TcgEventType.EV_SEPARATOR, Separator, alg => alg == (ushort)TpmAlgId.Sm3_256 ? wrong : null);
        ParsedEventLog log = EventLogParser.Parse(builder.Build());

        DigestMismatch m = Assert.Single(EventDigestChecker.Check(log));
        Assert.Equal(("sm3_256", 1, 7u), (m.Bank, m.EventIndex, m.PcrIndex));
        Assert.Equal(MultiBankLogBuilder.ReferenceHash((ushort)TpmAlgId.Sm3_256, Separator), m.Computed);

        (int code, string stdout, _) = CliRunner.Run("eventlog", "replay", Write("edited.bin", builder.Build()));
        Assert.Equal(0, code);
        Assert.Contains("#1 PCR 7 EV_SEPARATOR sm3_256: expected H(event data)", stdout, StringComparison.Ordinal);
    }
}
