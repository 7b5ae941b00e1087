namespace KcryptPush.Contracts.V1;

/// <summary>
/// The node failed attestation (or an operator quarantined it) after being in another state
/// (verdict exchange). Carries what an alert needs to act without asking the verifier.
/// </summary>
/// <param name="TpmHash">The node.</param>
/// <param name="Hostname">Its host name (informational).</param>
/// <param name="ReasonCodes">Codes from <see cref="AttestationReasonCodes"/>; evidence codes and policy codes are distinct.</param>
/// <param name="Reasons">The readable reasons.</param>
/// <param name="FailingPcrs">PCRs with expected and actual values (empty when none apply).</param>
/// <param name="FirstBrokenEvent">The first event that breaks replay or policy, when one is known.</param>
/// <param name="PreviousState">The state before quarantine.</param>
/// <param name="At">When (UTC).</param>
public sealed record NodeQuarantined(
    string TpmHash,
    string Hostname,
    string[] ReasonCodes,
    AttestationReason[] Reasons,
    PcrMismatch[] FailingPcrs,
    BrokenEvent? FirstBrokenEvent,
    string PreviousState,
    DateTimeOffset At) : INodeVerdict
{
    /// <inheritdoc />
    public string State => NodeStates.Quarantined;
}
