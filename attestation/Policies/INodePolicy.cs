namespace KcryptPush.Attestation.Policies;

/// <summary>
/// A policy on a node's evidence, applied after the evidence is validated (DESIGN.md
/// "Verification, in order", step 8; Keylime's split of validation from policy): selective PCR
/// enrollment, the measured-boot policy, the attestation budget... A new policy is a new class
/// implementing this and a registration where the verifier lists its policies; verification
/// itself does not change. Implementations are pure: what they need is in the context, and state
/// they learn (a TOFU value, an audit entry) is the caller's to store.
/// </summary>
public interface INodePolicy
{
    /// <summary>Short stable name, e.g. "measured-boot"; findings and verdicts name the policy by it.</summary>
    string Name { get; }

    /// <summary>Evaluates the validated evidence in <paramref name="context"/>.</summary>
    PolicyOutcome Evaluate(PolicyContext context);
}
