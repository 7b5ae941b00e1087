using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.EventLog;

/// <summary>
/// Parses a TCG PC Client event log (the bytes of
/// <c>/sys/kernel/security/tpm0/binary_bios_measurements</c> or a TBS log) into a
/// <see cref="ParsedEventLog"/>. Parsing checks structure only; nothing in the result is trusted.
/// The format is detected from the first record (PFP §10.2): a crypto-agile log starts with a
/// TCG_PCR_EVENT of type EV_NO_ACTION whose data begins "Spec ID Event03\0"; anything else,
/// including a first EV_NO_ACTION that is StartupLocality, is the SHA-1 legacy format.
/// </summary>
public static class EventLogParser
{
    /// <summary>Cap on one event's data (go-attestation uses 1 MiB; real logs stay far below).</summary>
    public const int MaxEventDataSize = 16 * 1024 * 1024;

    /// <summary>Cap on numberOfAlgorithms in the Spec ID event: TPM_ALG_ID defines fewer hash algorithms.</summary>
    public const int MaxAlgorithms = 16;

    private const int Sha1DigestSize = 20;

    /// <summary>Parses <paramref name="log"/>; the result holds a private copy of the bytes.</summary>
    /// <exception cref="EventLogFormatException">The log is malformed; the exception names the byte offset.</exception>
    public static ParsedEventLog Parse(ReadOnlySpan<byte> log) => Parse(log.ToArray());

    /// <summary>Parses <paramref name="log"/> without copying: the result's data and digests are
    /// slices of this array, so the caller must not change it afterwards.</summary>
    /// <exception cref="EventLogFormatException">The log is malformed; the exception names the byte offset.</exception>
    public static ParsedEventLog Parse(byte[] log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var memory = new ReadOnlyMemory<byte>(log);
        var reader = new EventLogReader(log);
        if (reader.IsAtEnd)
        {
            throw reader.Error("a first TCG_PCR_EVENT record (the log is empty)");
        }

        // Smallest records: TCG_PCR_EVENT is 32 bytes + data; the estimate only sizes the list.
        var events = new List<UntrustedEvent>(Math.Min(log.Length / 64 + 1, 4096));
        UntrustedEvent first = ReadSha1Event(ref reader, memory, 0);
        events.Add(first);

        SpecIdEvent? specId = null;
        if (first.EventType == TcgEventType.EV_NO_ACTION && first.Data.Span.StartsWith(SpecIdEvent.Signature))
        {
            specId = ParseSpecId(first.Data.Span, first.Offset + first.Length - first.Data.Length);
        }

        if (specId is null)
        {
            while (!reader.IsAtEnd)
            {
                events.Add(ReadSha1Event(ref reader, memory, events.Count));
            }
            return new ParsedEventLog
            {
                Format = EventLogFormat.Sha1Legacy,
                SpecId = null,
                UntrustedEvents = events,
                Banks = [new SpecIdAlgorithm((ushort)TpmAlgId.Sha1, Sha1DigestSize)],
            };
        }

        SpecIdAlgorithm[] algorithms = (SpecIdAlgorithm[])specId.Algorithms;
        while (!reader.IsAtEnd)
        {
            events.Add(ReadCryptoAgileEvent(ref reader, memory, events.Count, algorithms));
        }
        return new ParsedEventLog
        {
            Format = EventLogFormat.CryptoAgile,
            SpecId = specId,
            UntrustedEvents = events,
            Banks = algorithms,
        };
    }

    /// <summary>TCG_PCR_EVENT (PFP §10.2.1): pcrIndex UINT32, eventType UINT32, digest[20],
    /// eventDataSize UINT32, event[eventDataSize].</summary>
    private static UntrustedEvent ReadSha1Event(ref EventLogReader reader, ReadOnlyMemory<byte> log, int index)
    {
        int start = reader.Position;
        uint pcr = reader.ReadUInt32("TCG_PCR_EVENT.pcrIndex");
        uint type = reader.ReadUInt32("TCG_PCR_EVENT.eventType");
        ReadOnlyMemory<byte> digest = Take(ref reader, log, Sha1DigestSize, "TCG_PCR_EVENT.digest (SHA-1)");
        uint size = reader.ReadUInt32("TCG_PCR_EVENT.eventDataSize");
        int dataLength = reader.CheckLength(size, MaxEventDataSize, "TCG_PCR_EVENT.event");
        ReadOnlyMemory<byte> data = Take(ref reader, log, dataLength, "TCG_PCR_EVENT.event");
        return new UntrustedEvent
        {
            Index = index,
            PcrIndex = pcr,
            EventType = (TcgEventType)type,
            Digests = [new UntrustedDigest((ushort)TpmAlgId.Sha1, digest)],
            Data = data,
            Offset = start,
            Length = reader.Position - start,
        };
    }

    /// <summary>TCG_PCR_EVENT2 (PFP §10.2.2): pcrIndex UINT32, eventType UINT32,
    /// TPML_DIGEST_VALUES {count UINT32, TPMT_HA digests[count]}, eventSize UINT32, event.
    /// Each TPMT_HA is hashAlg UINT16 + a digest whose size the Spec ID event declares.</summary>
    private static UntrustedEvent ReadCryptoAgileEvent(
        ref EventLogReader reader, ReadOnlyMemory<byte> log, int index, SpecIdAlgorithm[] algorithms)
    {
        int start = reader.Position;
        uint pcr = reader.ReadUInt32("TCG_PCR_EVENT2.pcrIndex");
        uint type = reader.ReadUInt32("TCG_PCR_EVENT2.eventType");
        uint count = reader.ReadUInt32("TPML_DIGEST_VALUES.count");
        if (count > (uint)algorithms.Length)
        {
            throw new EventLogFormatException(reader.Offset - 4,
                $"TPML_DIGEST_VALUES.count <= {algorithms.Length} (the Spec ID algorithms), got {count}");
        }

        var digests = new UntrustedDigest[count];
        uint seen = 0;
        for (int i = 0; i < digests.Length; i++)
        {
            ushort alg = reader.ReadUInt16("TPMT_HA.hashAlg");
            int slot = -1;
            for (int j = 0; j < algorithms.Length; j++)
            {
                if (algorithms[j].AlgorithmId == alg)
                {
                    slot = j;
                    break;
                }
            }
            if (slot < 0)
            {
                throw new EventLogFormatException(reader.Offset - 2,
                    $"a TPMT_HA.hashAlg listed in the Spec ID event, got 0x{alg:x4}");
            }
            if ((seen & (1u << slot)) != 0)
            {
                throw new EventLogFormatException(reader.Offset - 2,
                    $"one digest per algorithm, got a second {TpmAlgorithms.BankName(alg)} digest");
            }
            seen |= 1u << slot;
            digests[i] = new UntrustedDigest(alg,
                Take(ref reader, log, algorithms[slot].DigestSize, $"TPMT_HA.digest ({TpmAlgorithms.BankName(alg)})"));
        }

        uint size = reader.ReadUInt32("TCG_PCR_EVENT2.eventSize");
        int dataLength = reader.CheckLength(size, MaxEventDataSize, "TCG_PCR_EVENT2.event");
        ReadOnlyMemory<byte> data = Take(ref reader, log, dataLength, "TCG_PCR_EVENT2.event");
        return new UntrustedEvent
        {
            Index = index,
            PcrIndex = pcr,
            EventType = (TcgEventType)type,
            Digests = digests,
            Data = data,
            Offset = start,
            Length = reader.Position - start,
        };
    }

    /// <summary>TCG_EfiSpecIdEvent (PFP §10.4.5.1), read from the data of the first record,
    /// which starts at <paramref name="dataOffset"/> in the log.</summary>
    internal static SpecIdEvent ParseSpecId(ReadOnlySpan<byte> data, long dataOffset)
    {
        var r = new EventLogReader(data, dataOffset);
        r.Skip(16, "TCG_EfiSpecIdEvent.signature");
        uint platformClass = r.ReadUInt32("TCG_EfiSpecIdEvent.platformClass");
        byte minor = r.ReadUInt8("TCG_EfiSpecIdEvent.specVersionMinor");
        byte major = r.ReadUInt8("TCG_EfiSpecIdEvent.specVersionMajor");
        byte errata = r.ReadUInt8("TCG_EfiSpecIdEvent.specErrata");
        byte uintnSize = r.ReadUInt8("TCG_EfiSpecIdEvent.uintnSize");
        long countOffset = r.Offset;
        uint count = r.ReadUInt32("TCG_EfiSpecIdEvent.numberOfAlgorithms");
        if (count == 0 || count > MaxAlgorithms)
        {
            throw new EventLogFormatException(countOffset,
                $"TCG_EfiSpecIdEvent.numberOfAlgorithms in 1..{MaxAlgorithms}, got {count}");
        }
        if (count * 4 > (uint)r.Remaining)
        {
            throw r.Error($"{count} TCG_EfiSpecIdEventAlgorithmSize entries ({count * 4} bytes, {r.Remaining} remain)");
        }

        var algorithms = new SpecIdAlgorithm[count];
        for (int i = 0; i < algorithms.Length; i++)
        {
            long entryOffset = r.Offset;
            ushort alg = r.ReadUInt16("TCG_EfiSpecIdEventAlgorithmSize.algorithmId");
            ushort size = r.ReadUInt16("TCG_EfiSpecIdEventAlgorithmSize.digestSize");
            int known = TpmAlgorithms.GetDigestSize((TpmAlgId)alg);
            if (known != 0 && size != known)
            {
                throw new EventLogFormatException(entryOffset,
                    $"digestSize {known} for {TpmAlgorithms.BankName(alg)}, got {size}");
            }
            if (known == 0 && (size == 0 || size > TpmAlgorithms.MaxDigestSize))
            {
                throw new EventLogFormatException(entryOffset,
                    $"digestSize in 1..{TpmAlgorithms.MaxDigestSize} for unknown algorithm 0x{alg:x4}, got {size}");
            }
            for (int j = 0; j < i; j++)
            {
                if (algorithms[j].AlgorithmId == alg)
                {
                    throw new EventLogFormatException(entryOffset,
                        $"each algorithm once in the Spec ID event, got 0x{alg:x4} twice");
                }
            }
            algorithms[i] = new SpecIdAlgorithm(alg, size);
        }

        byte vendorSize = r.ReadUInt8("TCG_EfiSpecIdEvent.vendorInfoSize");
        byte[] vendorInfo = r.ReadBytes(vendorSize, "TCG_EfiSpecIdEvent.vendorInfo").ToArray();
        return new SpecIdEvent
        {
            PlatformClass = platformClass,
            SpecVersionMinor = minor,
            SpecVersionMajor = major,
            SpecErrata = errata,
            UintnSize = uintnSize,
            Algorithms = algorithms,
            VendorInfo = vendorInfo,
        };
    }

    private static ReadOnlyMemory<byte> Take(ref EventLogReader reader, ReadOnlyMemory<byte> log, int count, string what)
    {
        int position = reader.Position;
        reader.Skip(count, what);
        return log.Slice(position, count);
    }
}
