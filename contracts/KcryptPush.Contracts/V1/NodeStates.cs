namespace KcryptPush.Contracts.V1;

/// <summary>The states of a node in the verifier.</summary>
public static class NodeStates
{
    /// <summary>Enrolled, not yet attested.</summary>
    public const string Pending = "Pending";
    /// <summary>Last attestation passed.</summary>
    public const string Trusted = "Trusted";
    /// <summary>Last attestation failed, or an operator quarantined it; no secret is released.</summary>
    public const string Quarantined = "Quarantined";
    /// <summary>No evidence for the configured number of intervals.</summary>
    public const string Silent = "Silent";
    /// <summary>Attestation budget spent; the node is done and its silence is no alarm.</summary>
    public const string Terminated = "Terminated";
}
