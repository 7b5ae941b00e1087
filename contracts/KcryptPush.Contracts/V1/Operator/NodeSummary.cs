namespace KcryptPush.Contracts.V1;

/// <summary>
/// One line of <see cref="NodeList"/>: what <c>nodes list --json</c> prints for a node and what the
/// verifier's status page shows (both serialise this record, so they cannot disagree).
/// </summary>
/// <param name="TpmHash">The node.</param>
/// <param name="Hostname">Its host name (reported by the node: untrusted text).</param>
/// <param name="State">One of <see cref="NodeStates"/>.</param>
/// <param name="LastAttestationAt">When its last evidence was judged, if ever.</param>
/// <param name="LastVerdict">The last verdict, if any.</param>
/// <param name="Reasons">While <see cref="NodeStates.Quarantined"/>, or <see cref="NodeStates.Silent"/> after a failed
/// attestation: why (the quarantine's reasons, or those of its last failed attestation); null otherwise. Null from
/// verifiers before this field.</param>
/// <param name="FailingPcrs">While quarantined, the PCRs the quarantine named, when the verifier still knows them.</param>
/// <param name="FirstBrokenEvent">While quarantined, the first event that broke replay or policy, when known.</param>
public sealed record NodeSummary(
    string TpmHash,
    string Hostname,
    string State,
    DateTimeOffset? LastAttestationAt,
    string? LastVerdict,
    AttestationReason[]? Reasons = null,
    PcrMismatch[]? FailingPcrs = null,
    BrokenEvent? FirstBrokenEvent = null);
