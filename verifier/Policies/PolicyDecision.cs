using KcryptPush.Contracts.V1;

namespace KcryptPush.Verifier.Policies;

/// <summary>What one policy decided.</summary>
public sealed class PolicyDecision
{
    /// <summary>Nothing to say: passes, no change.</summary>
    public static PolicyDecision Pass => new();

    /// <summary>Failures (empty when the policy is satisfied).</summary>
    public List<AttestationReason> Failures { get; } = [];

    /// <summary>PCRs whose value is not the policy's.</summary>
    public List<PcrMismatch> FailingPcrs { get; } = [];

    /// <summary>The first event that breaks the policy, when known.</summary>
    public BrokenEvent? FirstBrokenEvent { get; set; }

    /// <summary>Changes to store if the attestation passes.</summary>
    public List<PolicyChange> Changes { get; } = [];

    /// <summary>True when this pass spends the node's attestation budget.</summary>
    public bool Terminate { get; set; }
}
