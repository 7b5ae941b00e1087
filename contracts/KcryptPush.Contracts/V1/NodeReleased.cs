namespace KcryptPush.Contracts.V1;

/// <summary>
/// An operator released the node from quarantine (<c>nodes release</c>): it is Pending until its next
/// attestation decides (verdict exchange). Alerting sees who lifted a quarantine and why it was held.
/// </summary>
public sealed record NodeReleased(
    string TpmHash,
    string Hostname,
    string Operator,
    string? HeldFor,
    string PreviousState,
    DateTimeOffset At) : INodeVerdict
{
    /// <inheritdoc />
    public string State => NodeStates.Pending;
}
