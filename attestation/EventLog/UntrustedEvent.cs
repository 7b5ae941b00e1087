namespace KcryptPush.Attestation.EventLog;

/// <summary>
/// One record of the event log, TCG_PCR_EVENT or TCG_PCR_EVENT2 (PFP §10.2.1, §10.2.2).
/// Every field is UNTRUSTED: it is what the log says, and means nothing until the log replays
/// to PCR values taken from a verified quote.
/// </summary>
public sealed class UntrustedEvent
{
    /// <summary>Position of the record in the log, 0 for the first (the Spec ID header of a crypto-agile log).</summary>
    public required int Index { get; init; }

    /// <summary>pcrIndex as logged. Any UINT32, including 0xFFFFFFFF (Windows logs) and values &gt;= 24.</summary>
    public required uint PcrIndex { get; init; }

    /// <summary>eventType as logged.</summary>
    public required TcgEventType EventType { get; init; }

    /// <summary>The digests, one per bank the record carries.</summary>
    public required UntrustedDigest[] Digests { get; init; }

    /// <summary>The event data (the "event" field), without its size prefix.</summary>
    public required ReadOnlyMemory<byte> Data { get; init; }

    /// <summary>Byte offset of the record in the log.</summary>
    public required int Offset { get; init; }

    /// <summary>Length of the whole record in bytes.</summary>
    public required int Length { get; init; }

    /// <summary>Digest for <paramref name="algorithmId"/>, if the record carries one.</summary>
    public bool TryGetDigest(ushort algorithmId, out ReadOnlyMemory<byte> digest)
    {
        foreach (UntrustedDigest d in Digests)
        {
            if (d.AlgorithmId == algorithmId)
            {
                digest = d.Digest;
                return true;
            }
        }
        digest = default;
        return false;
    }

    /// <summary>Type name, e.g. "EV_SEPARATOR".</summary>
    public string TypeName => TcgEventTypeNames.Name(EventType);
}
