using System.Buffers.Binary;
using System.Runtime.InteropServices;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Replay;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.EventLog;

[Trait("Category", "Unit")]
public class MalformedLogTests
{
    private static readonly byte[] Separator = [0, 0, 0, 0];

    private static EventLogFormatException ParseFails(byte[] log) =>
        Assert.Throws<EventLogFormatException>(() => EventLogParser.Parse(log));

    [Fact]
    public void Well_formed_synthetic_log_parses_and_replays()
    {
        byte[] log = new LogBuilder().SpecIdHeader().AgileEvent(7, (uint)TcgEventType.EV_SEPARATOR, Separator).ToArray();
        ParsedEventLog parsed = EventLogParser.Parse(log);
        Assert.Equal(EventLogFormat.CryptoAgile, parsed.Format);
        Assert.Equal(2, parsed.UntrustedEvents.Count);
        byte[] expected = System.Security.Cryptography.SHA256.HashData([.. new byte[32], .. System.Security.Cryptography.SHA256.HashData(Separator)]);
        Assert.Equal(expected, EventLogReplayer.Replay(parsed).Bank((ushort)TpmAlgId.Sha256)!.Pcrs[7]);
        Assert.Empty(EventDigestChecker.Check(parsed));
    }

    [Fact]
    public void Empty_log_fails_at_offset_0()
    {
        Assert.Equal(0, ParseFails([]).Offset);
    }

    [Fact]
    public void Truncated_record_fails_at_the_missing_field()
    {
        var b = new LogBuilder().SpecIdHeader();
        int second = b.Length;
        byte[] full = b.AgileEvent(7, (uint)TcgEventType.EV_SEPARATOR, Separator).ToArray();
        byte[] truncated = full.AsSpan(0, full.Length - 2).ToArray();   // eventSize says 4, 2 remain
        EventLogFormatException ex = ParseFails(truncated);
        Assert.Equal(full.Length - 4, ex.Offset);
        Assert.Contains("TCG_PCR_EVENT2.event", ex.Message, StringComparison.Ordinal);

        EventLogFormatException header = ParseFails(full.AsSpan(0, second + 6).ToArray()); // pcrIndex, then 2 bytes of eventType
        Assert.Equal(second + 4, header.Offset);
    }

    [Fact]
    public void Event_size_beyond_the_buffer_fails_before_allocating()
    {
        byte[] log = new LogBuilder().SpecIdHeader()
            .U32(7).U32((uint)TcgEventType.EV_SEPARATOR).U32(0)   // no digests
            .U32(0x00FFFFFF)                                       // eventSize: 16 MiB - 1, only 4 bytes follow
            .Bytes(Separator).ToArray();
        EventLogFormatException ex = ParseFails(log);
        Assert.Equal(log.Length - 4, ex.Offset);
        Assert.Contains("remaining", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Event_size_above_the_cap_fails()
    {
        byte[] log = new LogBuilder().SpecIdHeader()
            .U32(7).U32((uint)TcgEventType.EV_SEPARATOR).U32(0)
            .U32(0xFFFFFFF0)                                       // absurd eventSize
            .ToArray();
        EventLogFormatException ex = ParseFails(log);
        Assert.Equal(log.Length, ex.Offset);
        Assert.Contains("<= 16777216", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Digest_for_an_algorithm_not_in_the_spec_id_fails()
    {
        var b = new LogBuilder().SpecIdHeader();
        int second = b.Length;
        byte[] log = b.U32(7).U32((uint)TcgEventType.EV_SEPARATOR).U32(1)
            .U16(0x000C).Bytes(new byte[48])                       // SHA-384: not in the Spec ID
            .U32(4).Bytes(Separator).ToArray();
        EventLogFormatException ex = ParseFails(log);
        Assert.Equal(second + 12, ex.Offset);
        Assert.Contains("0x000c", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Digest_count_above_the_spec_id_algorithm_count_fails()
    {
        var b = new LogBuilder().SpecIdHeader();
        int second = b.Length;
        byte[] log = b.U32(7).U32(4).U32(0xFFFFFFFF).ToArray();
        Assert.Equal(second + 8, ParseFails(log).Offset);
    }

    [Fact]
    public void Same_digest_twice_fails()
    {
        byte[] log = new LogBuilder().SpecIdHeader()
            .U32(7).U32(4).U32(2)
            .U16(0x0004).Bytes(new byte[20])
            .U16(0x0004).Bytes(new byte[20])
            .U32(4).Bytes(Separator).ToArray();
        Assert.Contains("second sha1", ParseFails(log).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(17u)]
    [InlineData(0xFFFFFFFFu)]   // malicious_number_of_algs
    public void Absurd_number_of_algorithms_fails_at_that_field(uint count)
    {
        byte[] log = new LogBuilder().SpecIdHeader(algorithmCount: count).ToArray();
        EventLogFormatException ex = ParseFails(log);
        Assert.Equal(32 + 24, ex.Offset);   // TCG_PCR_EVENT header (32) + signature..uintnSize (24)
    }

    [Fact]
    public void Number_of_algorithms_beyond_the_spec_id_data_fails()
    {
        Assert.Contains("TCG_EfiSpecIdEventAlgorithmSize", ParseFails(new LogBuilder().SpecIdHeader(algorithmCount: 9).ToArray()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Known_algorithm_with_the_wrong_digest_size_fails()
    {
        EventLogFormatException ex = ParseFails(new LogBuilder().SpecIdHeader(sha256Size: 20).ToArray());
        Assert.Equal(32 + 28 + 4, ex.Offset);
        Assert.Contains("digestSize 32 for sha256", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_algorithm_in_the_spec_id_is_carried_but_not_replayed()
    {
        var data = new LogBuilder().Bytes("Spec ID Event03\0"u8).U32(0).U8(0).U8(2).U8(0).U8(2)
            .U32(2).U16(0x000B).U16(32).U16(0x7777).U16(24).U8(0).ToArray();
        byte[] log = new LogBuilder().Sha1Event(0, 3, new byte[20], data)
            .U32(7).U32(4).U32(2)
            .U16(0x000B).Bytes(System.Security.Cryptography.SHA256.HashData(Separator))
            .U16(0x7777).Bytes(new byte[24])
            .U32(4).Bytes(Separator).ToArray();
        ParsedEventLog parsed = EventLogParser.Parse(log);
        Assert.Equal(24, parsed.UntrustedEvents[1].Digests[1].Digest.Length);
        ReplayResult replay = EventLogReplayer.Replay(parsed);
        Assert.Equal([(ushort)0x7777], replay.UnreplayableBanks);
        Assert.Equal(["sha256"], replay.Banks.Select(b => b.Name));
    }

    [Fact]
    public void Event_with_pcr_index_24_is_skipped_and_reported()
    {
        byte[] log = new LogBuilder().SpecIdHeader().AgileEvent(24, (uint)TcgEventType.EV_SEPARATOR, Separator).ToArray();
        ReplayResult replay = EventLogReplayer.Replay(EventLogParser.Parse(log));
        Assert.Equal(24u, Assert.Single(replay.Skipped).PcrIndex);
        Assert.All(replay.Banks, b => Assert.Empty(b.Pcrs));
    }

    [Fact]
    public void Malformed_event_body_is_undecodable_without_failing_the_log()
    {
        byte[] badVariable = new LogBuilder().Bytes(new byte[16]).U64(ulong.MaxValue).U64(0).ToArray();
        byte[] log = new LogBuilder().SpecIdHeader()
            .AgileEvent(7, (uint)TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG, badVariable)
            .AgileEvent(7, (uint)TcgEventType.EV_SEPARATOR, [1, 2]).ToArray();
        ParsedEventLog parsed = EventLogParser.Parse(log);
        var decoded = parsed.UntrustedEvents.Skip(1).Select(KcryptPush.Attestation.EventLog.Decoding.EventDecoder.Decode).ToArray();
        Assert.All(decoded, d => Assert.IsType<KcryptPush.Attestation.EventLog.Decoding.UndecodableEvent>(d));
        Assert.Contains("UnicodeName", ((KcryptPush.Attestation.EventLog.Decoding.UndecodableEvent)decoded[0]).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Log_with_one_digest_changed_fails_verification_naming_that_pcr()
    {
        const string name = "gcp-ubuntu2104-nosb";
        byte[] bytes = SharedLogs.Bytes(name);
        ParsedEventLog original = EventLogParser.Parse(bytes);
        UntrustedEvent target = original.UntrustedEvents.First(e => e.PcrIndex == 4 && e.EventType == TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION);
        Assert.True(target.TryGetDigest((ushort)TpmAlgId.Sha256, out ReadOnlyMemory<byte> digest));
        Assert.True(MemoryMarshal.TryGetArray(digest, out ArraySegment<byte> segment));

        byte[] tampered = (byte[])bytes.Clone();
        tampered[segment.Offset + 5] ^= 0x80;
        ParsedEventLog log = EventLogParser.Parse(tampered);
        ReplayVerification v = ReplayVerifier.Verify(log, EventLogReplayer.Replay(log), SharedLogs.Actual(SharedLogs.Sidecar(name)));

        PcrCheck failed = Assert.Single(v.Mismatches);
        Assert.Equal(("sha256", 4), (failed.Bank, failed.Pcr));
        Assert.Contains(target.Index, failed.EventIndices);
        Assert.False(v.Succeeded);
        Assert.Contains("sha256 PCR 4: mismatch", failed.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Reader_reports_absolute_offsets_and_does_not_move_on_failure()
    {
        byte[] data = [1, 2, 3];
        var r = new EventLogReader(data, baseOffset: 100);
        Assert.Equal(0x0201, r.ReadUInt16("x"));
        try
        {
            r.ReadUInt32("field");
            Assert.Fail("expected EventLogFormatException");
        }
        catch (EventLogFormatException ex)
        {
            Assert.Equal(102, ex.Offset);
        }
        Assert.Equal(2, r.Position);
        Assert.Equal(3, r.ReadUInt8("y"));
    }

    [Fact]
    public void Guid_is_read_mixed_endian()
    {
        byte[] bytes = Convert.FromHexString("61dfe48bca93d211aa0d00e098032b8c");
        var r = new EventLogReader(bytes);
        Assert.Equal(new Guid("8BE4DF61-93CA-11D2-AA0D-00E098032B8C"), r.ReadGuid("guid"));
        Assert.Equal(0x8be4df61u, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
    }
}
