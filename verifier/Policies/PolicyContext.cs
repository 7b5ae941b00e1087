using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Evidence;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Policies;

/// <summary>What a policy sees: validated evidence and the node's stored policy.</summary>
public sealed class PolicyContext
{
    /// <summary>The node's attestation record (policy, counters). Read only.</summary>
    public required NodeAttestation Node { get; init; }

    /// <summary>The enrolled AK's Name (the one that signed the validated quote).</summary>
    public required byte[] EnrolledAkName { get; init; }

    /// <summary>The quoted PCR values (signature and digest verified): bank name → index → value.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<int, byte[]>> QuotedPcrs { get; init; }

    /// <summary>
    /// The events that replayed to the quoted PCRs (all of the log's: the pipeline stops on a replay failure),
    /// with the replay; null when policies that need no log are judged on the signed PCR values alone, before
    /// the log is asked for (DESIGN.md "withheld evidence").
    /// </summary>
    public VerifiedEventLog? Log { get; init; }

    /// <summary>The reported PCR values the quote's digest covers.</summary>
    public PcrValues? ReportedPcrs { get; init; }

    /// <summary>The log the node's last pass was judged with, as parsed and untrusted: only to name the first
    /// differing event of a PCR that already failed, never for a decision.</summary>
    public ParsedEventLog? ReferenceLog { get; init; }

    /// <summary>Now (UTC).</summary>
    public required DateTime Now { get; init; }
}
