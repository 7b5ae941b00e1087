namespace KcryptPush.Verifier.Policies;

/// <summary>
/// One policy, evaluated after the evidence is validated (Keylime's split of validation from policy):
/// a pure function of <see cref="PolicyContext"/> that returns failures and the changes it wants
/// (learned values, termination). The pipeline applies the changes only when the attestation
/// passes, so a new policy is a new class and a registration, with no change to verification.
/// </summary>
public interface IAttestationPolicy
{
    /// <summary>A short name for logs.</summary>
    string Name { get; }

    /// <summary>Evaluates the policy; must not change <paramref name="context"/>.</summary>
    PolicyDecision Evaluate(PolicyContext context);
}
