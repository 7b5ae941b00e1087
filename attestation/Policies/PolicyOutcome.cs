using KcryptPush.Attestation.Findings;

namespace KcryptPush.Attestation.Policies;

/// <summary>One policy's decision and its findings (why it failed, what it noticed).</summary>
/// <param name="Policy">The policy's <see cref="INodePolicy.Name"/>.</param>
/// <param name="Decision">Pass, fail or terminate.</param>
/// <param name="Findings">Findings in check order; a failing outcome has at least one failure finding.</param>
public sealed record PolicyOutcome(string Policy, PolicyDecision Decision, IReadOnlyList<Finding> Findings)
{
    /// <summary>A pass, with optional informational findings.</summary>
    public static PolicyOutcome Pass(string policy, params Finding[] findings) => new(policy, PolicyDecision.Pass, findings);

    /// <summary>A failure; <paramref name="findings"/> say why.</summary>
    public static PolicyOutcome Fail(string policy, params Finding[] findings) => new(policy, PolicyDecision.Fail, findings);

    /// <summary>The node is done (not failed).</summary>
    public static PolicyOutcome Terminate(string policy, params Finding[] findings) => new(policy, PolicyDecision.Terminate, findings);

    /// <summary>The failure findings.</summary>
    public IEnumerable<Finding> Failures => Findings.Where(f => f.IsFailure);
}
