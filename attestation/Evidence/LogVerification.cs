using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Replay;

namespace KcryptPush.Attestation.Evidence;

/// <summary>A log replayed against quoted PCR values (DESIGN.md "Verification, in order" (7)).</summary>
public sealed class LogVerification
{
    internal LogVerification(ParsedEventLog untrusted, VerifiedEventLog log, IReadOnlyList<EvidenceFinding> findings,
        IReadOnlyList<PcrCheck> mismatches, EventProblem? firstBroken)
    {
        UntrustedLog = untrusted;
        Log = log;
        Findings = findings;
        Mismatches = mismatches;
        FirstBrokenEvent = firstBroken;
    }

    /// <summary>The parsed log as sent: every record, untrusted. For describing what is wrong and for
    /// caching the parse, never for a decision.</summary>
    public ParsedEventLog UntrustedLog { get; }

    /// <summary>The events that replayed (all of them when <see cref="Passed"/>).</summary>
    public VerifiedEventLog Log { get; }

    /// <summary><see cref="EvidenceCode.EventLogReplayMismatch"/> findings: one per PCR that did not
    /// replay, or one when the log covers no quoted bank.</summary>
    public IReadOnlyList<EvidenceFinding> Findings { get; }

    /// <summary>The PCRs that did not replay to the quoted value, even with a workaround.</summary>
    public IReadOnlyList<PcrCheck> Mismatches { get; }

    /// <summary>The first event named by the failing PCRs: one whose digest does not match its data, else
    /// the first event of the first failing PCR.</summary>
    public EventProblem? FirstBrokenEvent { get; }

    /// <summary>True when the log covers a quoted bank and every PCR it extends there replayed.</summary>
    public bool Passed => Findings.Count == 0;
}
