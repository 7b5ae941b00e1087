namespace KcryptPush.Attestation.EventLog;

/// <summary>
/// A parsed TCG PC Client event log. UNTRUSTED: parsing checks structure only. The content is
/// evidence only once <c>EventLogReplayer</c> replays it to the PCR values of a verified quote.
/// </summary>
public sealed class ParsedEventLog
{
    /// <summary>Record layout of the log.</summary>
    public required EventLogFormat Format { get; init; }

    /// <summary>The Spec ID event of a crypto-agile log; null for SHA-1 legacy logs.</summary>
    public required SpecIdEvent? SpecId { get; init; }

    /// <summary>Every record in log order, including the Spec ID header and EV_NO_ACTION records.</summary>
    public required IReadOnlyList<UntrustedEvent> UntrustedEvents { get; init; }

    /// <summary>Banks the log carries digests for: the Spec ID algorithms, or SHA-1 alone for a legacy log.</summary>
    public required IReadOnlyList<SpecIdAlgorithm> Banks { get; init; }
}
