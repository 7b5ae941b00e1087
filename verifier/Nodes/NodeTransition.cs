using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Policies;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Nodes;

/// <summary>
/// What <see cref="NodeStateMachine"/> decided for one event: the new state, the verdict event to
/// stage, the audit entries, the record's other fields, and for an attestation what to answer.
/// Applied by <see cref="NodeTransitionWriter"/> in the node's unit.
/// </summary>
public sealed record NodeTransition
{
    /// <summary>The state before.</summary>
    public required string From { get; init; }

    /// <summary>The state after.</summary>
    public required string To { get; init; }

    /// <summary>Whether the state changes.</summary>
    public bool StateChanged => !string.Equals(From, To, StringComparison.Ordinal);

    /// <summary>The event does not apply to the node (a terminated node is done): nothing is written.</summary>
    public bool Refused { get; init; }

    /// <summary>Nothing to write (refused, or nothing would change).</summary>
    public bool WritesNothing { get; init; }

    /// <summary>The verdict event of the state change, staged in the node's record; null when the state stays.</summary>
    public INodeVerdict? Verdict { get; init; }

    /// <summary>Audit entries, in order.</summary>
    public IReadOnlyList<NodeAudit> Audit { get; init; } = [];

    /// <summary>The record's other fields.</summary>
    public NodeRecordEdits Edits { get; init; } = NodeRecordEdits.None;

    /// <summary>For an attestation event: Pass, Fail or Retry (<see cref="AttestationVerdicts"/>).</summary>
    public string? AttestationVerdict { get; init; }

    /// <summary>For an attestation event: the reasons of the answer (a pass over the re-learn limit fails with its own).</summary>
    public IReadOnlyList<AttestationReason> Reasons { get; init; } = [];

    /// <summary>The failing PCRs of a failure.</summary>
    public IReadOnlyList<PcrMismatch> FailingPcrs { get; init; } = [];

    /// <summary>Secrets may be sealed to the node in this answer.</summary>
    public bool ReleaseSecrets { get; init; }

    /// <summary>The answer carries the next challenge.</summary>
    public bool IssueChallenge { get; init; }

    /// <summary>The answer asks for the event log.</summary>
    public bool EventLogWanted { get; init; }

    /// <summary>For an operator command: what happened, in words.</summary>
    public string? Note { get; init; }

    /// <summary>Applies the state and <see cref="Edits"/> to <paramref name="record"/> (audit and verdict are the writer's).</summary>
    public void ApplyTo(NodeAttestation record, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (Refused || WritesNothing)
        {
            return;
        }

        NodeRecordEdits e = Edits;
        foreach (PolicyChange change in e.Learned)
        {
            change.Apply(record);
        }

        if (StateChanged)
        {
            record.State = To;
            record.StateSince = nowUtc;
        }

        if (e.CountPass)
        {
            record.AttestationsPassed++;
        }

        record.AcceptedLogSha256 = e.AcceptedLogSha256 ?? record.AcceptedLogSha256;
        record.LastEvidenceAt = e.LastEvidenceAt ?? record.LastEvidenceAt;
        record.LastAttestationAt = e.LastAttestationAt ?? record.LastAttestationAt;
        record.LastVerdict = e.LastVerdict ?? record.LastVerdict;
        record.LogWanted = e.LogWanted ?? record.LogWanted;
        record.LogRequestsUnanswered = e.LogRequestsUnanswered ?? record.LogRequestsUnanswered;
        if (e.Relearns is not null)
        {
            record.Relearns = [.. e.Relearns];
        }

        if (e.HoldChanged)
        {
            record.OperatorQuarantine = e.OperatorQuarantine;
        }
    }
}
