namespace KcryptPush.Verifier.Store;

/// <summary>
/// A verdict event not yet confirmed by the broker. It is written inside the node's own record, in
/// the same document write as the state change it reports (a LiteDB document write is atomic), so a
/// verifier that dies between saving the state and publishing still publishes it after a restart.
/// </summary>
public sealed class PendingVerdict
{
    /// <summary>Also the published message's MessageId: alert consumers can drop a duplicate (a
    /// verifier that dies after the broker confirmed but before removing the record publishes again).</summary>
    public Guid Id { get; set; }

    /// <summary>The contract type name: NodeTrusted, NodeQuarantined, NodeSilent, NodeTerminated or NodeReleased.</summary>
    public string Type { get; set; } = string.Empty;

    /// <summary>The event as JSON.</summary>
    public string Json { get; set; } = string.Empty;

    /// <summary>When it was staged.</summary>
    public DateTime CreatedAt { get; set; }
}
