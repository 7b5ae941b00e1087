namespace KcryptPush.Contracts.V1;

/// <summary>The node sent no evidence for <paramref name="Intervals"/> intervals (verdict exchange).</summary>
/// <param name="TpmHash">The node.</param>
/// <param name="Hostname">Its host name (informational).</param>
/// <param name="LastSeen">When its last evidence arrived (UTC), or null if never.</param>
/// <param name="Intervals">How many intervals passed without evidence.</param>
/// <param name="PreviousState">The state before.</param>
/// <param name="At">When (UTC).</param>
public sealed record NodeSilent(
    string TpmHash,
    string Hostname,
    DateTimeOffset? LastSeen,
    int Intervals,
    string PreviousState,
    DateTimeOffset At) : INodeVerdict
{
    /// <inheritdoc />
    public string State => NodeStates.Silent;
}
