using System.Security.Cryptography;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Replay;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.EventLog;

[Trait("Category", "Unit")]
public class ReplayTests
{
    private static readonly byte[] Separator = [0, 0, 0, 0];

    [Fact]
    public void Drtm_pcrs_start_at_all_ff_and_others_at_zero()
    {
        byte[] log = new LogBuilder().SpecIdHeader()
            .AgileEvent(17, (uint)TcgEventType.EV_SEPARATOR, Separator)
            .AgileEvent(23, (uint)TcgEventType.EV_SEPARATOR, Separator).ToArray();
        ReplayedBank bank = EventLogReplayer.Replay(EventLogParser.Parse(log)).Bank((ushort)TpmAlgId.Sha256)!;
        byte[] h = SHA256.HashData(Separator);
        Assert.Equal(SHA256.HashData([.. Enumerable.Repeat((byte)0xFF, 32), .. h]), bank.Pcrs[17]);
        Assert.Equal(SHA256.HashData([.. new byte[32], .. h]), bank.Pcrs[23]);
        Assert.Equal([17, 23], bank.Pcrs.Keys);
    }

    [Fact]
    public void No_action_events_are_not_extended_even_with_nonzero_digests()
    {
        byte[] log = new LogBuilder().SpecIdHeader()
            .AgileEvent(0, (uint)TcgEventType.EV_NO_ACTION, "anything"u8)
            .AgileEvent(1, (uint)TcgEventType.EV_SEPARATOR, Separator).ToArray();
        ReplayedBank bank = EventLogReplayer.Replay(EventLogParser.Parse(log)).Bank((ushort)TpmAlgId.Sha1)!;
        Assert.Equal([1], bank.Pcrs.Keys);
    }

    [Fact]
    public void Replay_of_selected_banks_gives_the_same_values_for_those_banks()
    {
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes("gcp-rhel8-sb"));
        ReplayResult all = EventLogReplayer.Replay(log);
        ReplayResult sha256 = EventLogReplayer.Replay(log, [TpmAlgId.Sha256]);
        ReplayedBank only = Assert.Single(sha256.Banks);
        Assert.Equal("sha256", only.Name);
        Assert.Equal(all.Bank((ushort)TpmAlgId.Sha256)!.Pcrs, only.Pcrs);
    }

    [Fact]
    public void Event_missing_a_bank_digest_is_reported_for_that_bank()
    {
        byte[] log = new LogBuilder().SpecIdHeader()
            .U32(7).U32((uint)TcgEventType.EV_SEPARATOR).U32(1)
            .U16(0x000B).Bytes(SHA256.HashData(Separator))       // SHA-256 only; SHA-1 missing
            .U32(4).Bytes(Separator).ToArray();
        ReplayResult replay = EventLogReplayer.Replay(EventLogParser.Parse(log));
        SkippedEvent skipped = Assert.Single(replay.Skipped);
        Assert.Equal("sha1", skipped.Bank);
        Assert.Empty(replay.Bank((ushort)TpmAlgId.Sha1)!.Pcrs);
        Assert.Equal([7], replay.Bank((ushort)TpmAlgId.Sha256)!.Pcrs.Keys);
    }

    [Fact]
    public void Old_firmware_driver_config_digests_over_variable_data_only_are_reported_not_failed()
    {
        const string name = "thinkpad-tpm12-sha1log";
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes(name));
        DigestMismatch[] driverConfig = EventDigestChecker.Check(log)
            .Where(m => m.EventType == nameof(TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG)).ToArray();
        Assert.NotEmpty(driverConfig);
        Assert.All(driverConfig, m => Assert.Contains("logged digest is H(VariableData)", m.Rule, StringComparison.Ordinal));
        ReplayVerification v = ReplayVerifier.Verify(log, EventLogReplayer.Replay(log), SharedLogs.Actual(SharedLogs.Sidecar(name)));
        Assert.True(v.MatchedStrictly);
    }
}
