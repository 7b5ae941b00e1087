using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;
using KcryptPush.Attestation.Replay;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.EventLog;

/// <summary>One test per quirk of testdata/eventlogs/README.md.</summary>
[Trait("Category", "Unit")]
public class QuirkTests
{
    private static int DataOffset(UntrustedEvent e) => e.Offset + e.Length - e.Data.Length;

    private static void AssertReplayEqualsSidecar(ReplayResult replay, JsonElement sidecar)
    {
        foreach ((string bank, Dictionary<int, string> pcrs) in SharedLogs.Banks(sidecar, "banks"))
        {
            ReplayedBank replayed = replay.Bank((ushort)SharedLogs.AlgorithmOf(bank))!;
            Assert.All(pcrs, p => Assert.Equal(p.Value, Convert.ToHexStringLower(replayed.Pcrs[p.Key])));
        }
    }

    [Theory]
    [InlineData("laptop-glinux-nosb-loc3")]
    [InlineData("server-gdc-host-loc3")]
    [InlineData("thinkpad-keylime-loc3")]
    public void StartupLocality_3_makes_pcr0_start_at_3_and_replaying_from_zero_gets_pcr0_wrong(string name)
    {
        byte[] bytes = SharedLogs.Bytes(name);
        JsonElement sidecar = SharedLogs.Sidecar(name);
        ParsedEventLog log = EventLogParser.Parse(bytes);
        ReplayResult replay = EventLogReplayer.Replay(log);
        Assert.Equal(3, replay.Pcr0StartLocality);
        AssertReplayEqualsSidecar(replay, sidecar);

        UntrustedEvent locality = Assert.Single(log.UntrustedEvents, e => StartupLocality.TryRead(e, out _));
        Assert.Equal(new StartupLocalityEvent(3), EventDecoder.Decode(locality));

        // The same log with locality 0: PCR 0 no longer matches in any bank, other PCRs still do.
        byte[] patched = (byte[])bytes.Clone();
        patched[DataOffset(locality) + 16] = 0;
        ReplayResult fromZero = EventLogReplayer.Replay(EventLogParser.Parse(patched));
        Assert.Equal(0, fromZero.Pcr0StartLocality);
        foreach ((string bank, Dictionary<int, string> pcrs) in SharedLogs.Banks(sidecar, "banks"))
        {
            ReplayedBank b = fromZero.Bank((ushort)SharedLogs.AlgorithmOf(bank))!;
            Assert.NotEqual(pcrs[0], Convert.ToHexStringLower(b.Pcrs[0]));
            Assert.All(pcrs.Where(p => p.Key != 0), p => Assert.Equal(p.Value, Convert.ToHexStringLower(b.Pcrs[p.Key])));
        }
    }

    [Fact]
    public void Hcrtm_event_makes_pcr0_start_at_4()
    {
        byte[] hcrtm = "HCRTM"u8.ToArray();
        byte[] log = new LogBuilder().SpecIdHeader().AgileEvent(0, (uint)TcgEventType.EV_EFI_HCRTM_EVENT, hcrtm).ToArray();
        ReplayResult replay = EventLogReplayer.Replay(EventLogParser.Parse(log));
        Assert.Equal(4, replay.Pcr0StartLocality);
        byte[] start = new byte[32];
        start[31] = 4;
        byte[] expected = System.Security.Cryptography.SHA256.HashData([.. start, .. System.Security.Cryptography.SHA256.HashData(hcrtm)]);
        Assert.Equal(expected, replay.Bank((ushort)TpmAlgId.Sha256)!.Pcrs[0]);
    }

    [Fact]
    public void Sp800155_no_action_events_decode_and_are_never_extended()
    {
        const string name = "gke-sp800155";
        byte[] bytes = SharedLogs.Bytes(name);
        ParsedEventLog log = EventLogParser.Parse(bytes);
        UntrustedEvent[] sp = log.UntrustedEvents.Where(e => e.Data.Span.StartsWith("SP800-155 Event3"u8)).ToArray();
        Assert.Equal(2, sp.Length);
        Assert.All(sp, e => Assert.Equal(TcgEventType.EV_NO_ACTION, e.EventType));
        Assert.All(sp, e => Assert.IsType<Sp800155Event3>(EventDecoder.Decode(e)));
        AssertReplayEqualsSidecar(EventLogReplayer.Replay(log), SharedLogs.Sidecar(name));

        // Were they extended (as tpm2_eventlog 5.4 does), PCR 0 would differ.
        byte[] patched = (byte[])bytes.Clone();
        foreach (UntrustedEvent e in sp)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(patched.AsSpan(e.Offset + 4), (uint)TcgEventType.EV_POST_CODE);
        }
        ReplayResult extended = EventLogReplayer.Replay(EventLogParser.Parse(patched));
        string expected0 = SharedLogs.Banks(SharedLogs.Sidecar(name), "banks")["sha256"][0];
        Assert.NotEqual(expected0, Convert.ToHexStringLower(extended.Bank((ushort)TpmAlgId.Sha256)!.Pcrs[0]));
    }

    [Fact]
    public void Pcr_index_ffffffff_is_never_used_as_an_index_and_is_reported_when_not_no_action()
    {
        const string name = "hp-windows-optionrom-sha1log";
        byte[] bytes = SharedLogs.Bytes(name);
        ParsedEventLog log = EventLogParser.Parse(bytes);
        UntrustedEvent last = log.UntrustedEvents[^1];
        Assert.Equal(0xFFFFFFFFu, last.PcrIndex);
        Assert.Equal(TcgEventType.EV_NO_ACTION, last.EventType);
        AssertReplayEqualsSidecar(EventLogReplayer.Replay(log), SharedLogs.Sidecar(name));

        // Make it an extending event: replay skips and reports it, and the other PCRs are unchanged.
        byte[] patched = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(patched.AsSpan(last.Offset + 4), (uint)TcgEventType.EV_EVENT_TAG);
        ReplayResult replay = EventLogReplayer.Replay(EventLogParser.Parse(patched));
        SkippedEvent skipped = Assert.Single(replay.Skipped);
        Assert.Equal((last.Index, 0xFFFFFFFFu), (skipped.EventIndex, skipped.PcrIndex));
        AssertReplayEqualsSidecar(replay, SharedLogs.Sidecar(name));
    }

    [Theory]
    [InlineData("gcp-debian10-sb-sha1log")]
    [InlineData("gcp-windows-sha1log")]
    [InlineData("thinkpad-tpm12-sha1log")]
    [InlineData("hp-debian-ebs-missing-sha1log")]
    [InlineData("hp-windows-optionrom-sha1log")]
    public void Sha1_legacy_logs_parse_as_sha1_only_and_leave_other_banks_unchecked(string name)
    {
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes(name));
        Assert.Equal(EventLogFormat.Sha1Legacy, log.Format);
        Assert.Null(log.SpecId);
        Assert.Equal([new SpecIdAlgorithm((ushort)TpmAlgId.Sha1, 20)], log.Banks);
        Assert.All(log.UntrustedEvents, e => Assert.Equal((ushort)TpmAlgId.Sha1, Assert.Single(e.Digests).AlgorithmId));
        ReplayResult replay = EventLogReplayer.Replay(log);
        Assert.Equal(["sha1"], replay.Banks.Select(b => b.Name));

        // A sha256 value from the TPM cannot be checked against a SHA-1 log: no check is made for it.
        ReplayVerification v = ReplayVerifier.Verify(log, replay, SharedLogs.Actual(SharedLogs.Sidecar(name)));
        Assert.All(v.Checks, c => Assert.Equal("sha1", c.Bank));
    }

    [Fact]
    public void Lone_startup_locality_record_is_a_sha1_log_of_one_event_that_extends_nothing()
    {
        const string name = "edge-short-no-action";
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes(name));
        Assert.Equal(EventLogFormat.Sha1Legacy, log.Format);
        UntrustedEvent only = Assert.Single(log.UntrustedEvents);
        Assert.Equal(new StartupLocalityEvent(3), EventDecoder.Decode(only));
        ReplayResult replay = EventLogReplayer.Replay(log);
        Assert.All(replay.Banks, b => Assert.Empty(b.Pcrs));

        (int code, string stdout, _) = CliRunner.Run("eventlog", "replay", "--json", SharedLogs.BinPath(name));
        Assert.Equal(0, code);
        using JsonDocument json = JsonDocument.Parse(stdout);
        Assert.Empty(json.RootElement.GetProperty("banks").EnumerateObject());
        Assert.Equal(1, json.RootElement.GetProperty("events").GetInt32());
    }

    [Theory]
    [InlineData("desktop-arch-sdboot")]
    [InlineData("qemu-fedora37-sdboot")]
    public void SecureBoot_variable_with_data_length_0_decodes(string name)
    {
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes(name));
        EfiVariableEvent secureBoot = log.UntrustedEvents
            .Select(EventDecoder.Decode).OfType<EfiVariableEvent>()
            .Single(v => v.Recognized == SecureBootVariable.SecureBoot);
        Assert.Equal(0, secureBoot.Variable.Data.Length);
        Assert.Equal(KnownGuids.EfiGlobalVariable, secureBoot.Variable.VendorGuid);
        Assert.Equal("(no data)", secureBoot.Detail);
        AssertReplayEqualsSidecar(EventLogReplayer.Replay(log), SharedLogs.Sidecar(name));
    }

    [Theory]
    [InlineData("gcp-windows-sha1log")]
    [InlineData("hp-windows-optionrom-sha1log")]
    public void Windows_wbcl_separators_decode(string name)
    {
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes(name));
        SeparatorEvent[] wbcl = log.UntrustedEvents.Where(e => e.EventType == TcgEventType.EV_SEPARATOR)
            .Select(EventDecoder.Decode).OfType<SeparatorEvent>().Where(s => s.Meaning == "windows (WBCL)").ToArray();
        Assert.Equal(3, wbcl.Length);
    }

    [Fact]
    public void Digest_check_reports_the_known_mismatching_events_but_replay_uses_the_logged_digest()
    {
        // desktop-arch-sdboot: last event (EV_IPL) has a digest that is not H(data); EV_IPL is not a
        // type whose digest the spec defines over the data, so the checker does not flag it.
        ParsedEventLog arch = EventLogParser.Parse(SharedLogs.Bytes("desktop-arch-sdboot"));
        Assert.Empty(EventDigestChecker.Check(arch));
        AssertReplayEqualsSidecar(EventLogReplayer.Replay(arch), SharedLogs.Sidecar("desktop-arch-sdboot"));

        // A separator whose digest is not H(00000000) is reported, in the bank that differs only.
        byte[] bytes = SharedLogs.Bytes("gcp-ubuntu2104-nosb");
        ParsedEventLog log = EventLogParser.Parse(bytes);
        UntrustedEvent separator = log.UntrustedEvents.First(e => e.EventType == TcgEventType.EV_SEPARATOR);
        Assert.True(separator.TryGetDigest((ushort)TpmAlgId.Sha256, out ReadOnlyMemory<byte> digest));
        Assert.True(MemoryMarshal.TryGetArray(digest, out ArraySegment<byte> seg)); // Parse(byte[]) slices, so this is the log offset
        byte[] patched = (byte[])bytes.Clone();
        patched[seg.Offset] ^= 0x01;
        DigestMismatch m = Assert.Single(EventDigestChecker.Check(EventLogParser.Parse(patched)));
        Assert.Equal((separator.Index, "sha256"), (m.EventIndex, m.Bank));
    }

    [Theory]
    [MemberData(nameof(SharedLogs.All), MemberType = typeof(SharedLogs))]
    public void Digest_check_over_shared_logs_flags_only_events_whose_digest_differs_from_its_data(string name)
    {
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes(name));
        foreach (DigestMismatch m in EventDigestChecker.Check(log))
        {
            UntrustedEvent e = log.UntrustedEvents[m.EventIndex];
            Assert.NotEqual(Convert.ToHexStringLower(m.Logged), Convert.ToHexStringLower(m.Computed));
            Assert.True(e.TryGetDigest((ushort)SharedLogs.AlgorithmOf(m.Bank), out ReadOnlyMemory<byte> logged));
            Assert.Equal(logged.ToArray(), m.Logged);
        }
    }
}
