using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Tpm.Structures;

namespace KcryptPush.Attestation.Evidence;

/// <summary>
/// What a node sent to answer a challenge: its quote and everything the quote signs through the
/// evidence binding SHA-256(nonce ‖ event log SHA-256 ‖ release key Name) (DESIGN.md "Flows").
/// All of it is untrusted until <see cref="EvidenceVerifier"/> has checked it.
/// </summary>
/// <param name="Attest">The TPMS_ATTEST bytes exactly as signed.</param>
/// <param name="Signature">The TPMT_SIGNATURE bytes.</param>
/// <param name="ReportedPcrs">The PCR values the node reported for the quote.</param>
/// <param name="EventLogSha256">The event log's SHA-256 as named in the message (the one the binding covers).</param>
public sealed record NodeEvidence(byte[] Attest, byte[] Signature, PcrValues ReportedPcrs, byte[] EventLogSha256)
{
    /// <summary>The event log bytes when the message carries them: their SHA-256 must be <see cref="EventLogSha256"/>.</summary>
    public byte[]? EventLog { get; init; }

    /// <summary>
    /// The log already parsed by the caller (a cache, or a log it stored under <see cref="EventLogSha256"/>):
    /// it must be the parse of bytes whose SHA-256 is <see cref="EventLogSha256"/>. Used instead of parsing
    /// <see cref="EventLog"/>; with neither, the log is not checked (<see cref="EvidenceVerification.NeedsLog"/>).
    /// </summary>
    public ParsedEventLog? ParsedLog { get; init; }

    /// <summary>The release key the node wants secrets bound to, if any: its Name is the binding's last part.</summary>
    public TpmtPublic? ReleaseKey { get; init; }
}
