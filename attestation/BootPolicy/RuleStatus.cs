namespace KcryptPush.Attestation.BootPolicy;

/// <summary>Outcome of one policy rule.</summary>
public enum RuleStatus
{
    /// <summary>The log meets the rule.</summary>
    Passed,

    /// <summary>The log breaks the rule; the result says why.</summary>
    Failed,

    /// <summary>The policy does not ask for this check, or it could not be made (see the result).</summary>
    Skipped,
}
