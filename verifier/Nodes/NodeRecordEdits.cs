using KcryptPush.Verifier.Policies;

namespace KcryptPush.Verifier.Nodes;

/// <summary>
/// The fields of <see cref="Store.NodeAttestation"/> a transition sets besides the state; null (or
/// false) leaves a field as it is.
/// </summary>
public sealed record NodeRecordEdits
{
    /// <summary>Nothing besides the state.</summary>
    public static NodeRecordEdits None { get; } = new();

    /// <summary>Complete evidence arrived (silence is measured from it).</summary>
    public DateTime? LastEvidenceAt { get; init; }

    /// <summary>A quote was judged.</summary>
    public DateTime? LastAttestationAt { get; init; }

    /// <summary>Its verdict (<see cref="Contracts.V1.AttestationVerdicts"/>).</summary>
    public string? LastVerdict { get; init; }

    /// <summary>One more pass counts against the attestation budget.</summary>
    public bool CountPass { get; init; }

    /// <summary>The event log of this pass, the reference from now on.</summary>
    public byte[]? AcceptedLogSha256 { get; init; }

    /// <summary>Whether an event log is asked for.</summary>
    public bool? LogWanted { get; init; }

    /// <summary>Messages without the asked-for log so far.</summary>
    public int? LogRequestsUnanswered { get; init; }

    /// <summary>The re-learns of the last 24 hours, replacing the stored list.</summary>
    public IReadOnlyList<DateTime>? Relearns { get; init; }

    /// <summary>Whether <see cref="OperatorQuarantine"/> replaces the stored hold.</summary>
    public bool HoldChanged { get; init; }

    /// <summary>The operator's hold (<c>"operator: reason"</c>), or null when lifted.</summary>
    public string? OperatorQuarantine { get; init; }

    /// <summary>What the policies learned, applied in order.</summary>
    public IReadOnlyList<PolicyChange> Learned { get; init; } = [];
}
