using System.Buffers.Binary;
using System.Security.Cryptography;
using KcryptPush.Attestation.EventLog;

namespace KcryptPush.Bench.Load;

/// <summary>
/// The noisy neighbour's event log: a real crypto-agile log padded with EV_NO_ACTION events to
/// exactly the size the verifier accepts (Verifier:MaxEventLogBytes, 1 MiB by default). EV_NO_ACTION
/// is never extended (PFP §10.4.1), so the padded log parses and replays to the same PCR values as the
/// real one and a quote over it passes: the verifier does its whole work (hash, parse, replay, store).
/// Every <see cref="Next"/> has a different counter in its last event, so a different SHA-256: no
/// parsed-log cache or stored log spares the verifier any of it.
/// </summary>
internal sealed class FloodLog
{
    private const int PaddingData = 64; // bytes of event data per padding event: many small events, the parser's worst case
    private static readonly byte[] Marker = "KcryptPush load padding (EV_NO_ACTION)\0"u8.ToArray();
    private readonly byte[] _template;
    private readonly int _counterAt;
    private long _counter;

    public FloodLog(byte[] realLog, int size)
    {
        ParsedEventLog parsed = EventLogParser.Parse(realLog);
        if (parsed.Format != EventLogFormat.CryptoAgile || parsed.SpecId is null)
        {
            throw new InvalidOperationException("the flood log pads a crypto-agile (TCG_PCR_EVENT2) log; this one is SHA-1 only");
        }

        IReadOnlyList<SpecIdAlgorithm> algorithms = parsed.SpecId.Algorithms;
        int header = 4 + 4 + 4 + algorithms.Sum(a => 2 + a.DigestSize) + 4; // pcrIndex, eventType, count, TPMT_HA[], eventSize
        int room = size - realLog.Length;
        if (room < header + 8)
        {
            throw new InvalidOperationException($"the log is {realLog.Length} bytes: no room to pad it to {size}");
        }

        int events = Math.Max(1, room / (header + PaddingData));
        int lastData = room - (events * header) - ((events - 1) * PaddingData);
        _template = new byte[size];
        realLog.CopyTo(_template, 0);
        int at = realLog.Length;
        for (int i = 0; i < events; i++)
        {
            int data = i == events - 1 ? lastData : PaddingData;
            at = WriteEvent(_template, at, algorithms, data, i);
        }

        _counterAt = size - 8;
        Size = size;
        Events = events;
    }

    /// <summary>The size of every log.</summary>
    public int Size { get; }

    /// <summary>EV_NO_ACTION events added to the real log.</summary>
    public int Events { get; }

    /// <summary>A fresh copy with a new counter, and its SHA-256.</summary>
    public (byte[] Log, byte[] Sha256) Next()
    {
        byte[] log = (byte[])_template.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(log.AsSpan(_counterAt), Interlocked.Increment(ref _counter));
        return (log, SHA256.HashData(log));
    }

    // TCG_PCR_EVENT2 (PFP §10.2.2), little-endian: PCR 0, EV_NO_ACTION, one zero digest per Spec ID
    // algorithm (what EV_NO_ACTION carries), then the event data.
    private static int WriteEvent(byte[] b, int at, IReadOnlyList<SpecIdAlgorithm> algorithms, int dataSize, int index)
    {
        Span<byte> s = b.AsSpan(at);
        BinaryPrimitives.WriteUInt32LittleEndian(s, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], (uint)TcgEventType.EV_NO_ACTION);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], (uint)algorithms.Count);
        int p = 12;
        foreach (SpecIdAlgorithm a in algorithms)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(s[p..], a.AlgorithmId);
            p += 2 + a.DigestSize; // the digest stays zero
        }

        BinaryPrimitives.WriteUInt32LittleEndian(s[p..], (uint)dataSize);
        p += 4;
        Span<byte> data = s.Slice(p, dataSize);
        Marker.AsSpan(0, Math.Min(Marker.Length, dataSize)).CopyTo(data);
        if (dataSize >= Marker.Length + 4)
        {
            BinaryPrimitives.WriteInt32LittleEndian(data[Marker.Length..], index);
        }

        return at + p + dataSize;
    }
}
