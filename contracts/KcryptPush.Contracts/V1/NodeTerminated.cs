namespace KcryptPush.Contracts.V1;

/// <summary>The node spent its attestation budget (<paramref name="Attestations"/> passes) and is done; not a failure.</summary>
public sealed record NodeTerminated(
    string TpmHash,
    string Hostname,
    int Attestations,
    string PreviousState,
    DateTimeOffset At) : INodeVerdict
{
    /// <inheritdoc />
    public string State => NodeStates.Terminated;
}
