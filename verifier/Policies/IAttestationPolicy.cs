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

    /// <summary>
    /// False for a policy judged on the signed PCR values and the AK alone: it runs as soon as the quote
    /// verifies, before the event log is asked for, so withholding the log cannot delay its verdict.
    /// </summary>
    bool NeedsEventLog => true;

    /// <summary>Evaluates the policy; must not change <paramref name="context"/>.</summary>
    PolicyDecision Evaluate(PolicyContext context);
}
