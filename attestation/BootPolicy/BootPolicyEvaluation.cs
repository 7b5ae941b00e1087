namespace KcryptPush.Attestation.BootPolicy;

/// <summary>All rule results of evaluating a measured-boot policy against a log, in rule order.</summary>
public sealed class BootPolicyEvaluation
{
    /// <summary>Creates the evaluation from its results.</summary>
    public BootPolicyEvaluation(IReadOnlyList<RuleResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        Results = results;
    }

    /// <summary>Every result: passes, failures and skipped rules.</summary>
    public IReadOnlyList<RuleResult> Results { get; }

    /// <summary>The failed results.</summary>
    public IEnumerable<RuleResult> Failures => Results.Where(r => r.Status == RuleStatus.Failed);

    /// <summary>True when no rule failed.</summary>
    public bool Passed => !Results.Any(r => r.Status == RuleStatus.Failed);
}
