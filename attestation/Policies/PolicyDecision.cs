namespace KcryptPush.Attestation.Policies;

/// <summary>What a policy decides about a node.</summary>
public enum PolicyDecision
{
    /// <summary>The evidence meets the policy.</summary>
    Pass,

    /// <summary>The evidence breaks the policy: the node is quarantined.</summary>
    Fail,

    /// <summary>The node is done, not failed (Keylime's "attest N times, then stop"): it is
    /// Terminated, stops pushing, and its silence is no alarm.</summary>
    Terminate,
}
