namespace KcryptPush.Contracts.V1;

/// <summary>The node passed attestation after being in another state (verdict exchange).</summary>
public sealed record NodeTrusted(
    string TpmHash,
    string Hostname,
    string PreviousState,
    DateTimeOffset At) : INodeVerdict
{
    /// <inheritdoc />
    public string State => NodeStates.Trusted;
}
