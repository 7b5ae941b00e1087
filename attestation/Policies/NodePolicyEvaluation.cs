namespace KcryptPush.Attestation.Policies;

/// <summary>
/// Runs a node's policies over one validated piece of evidence and combines their decisions:
/// any failure fails; else any termination terminates; else pass. Every policy runs, so a
/// verdict lists every reason, not only the first.
/// </summary>
public sealed class NodePolicyEvaluation
{
    private NodePolicyEvaluation(IReadOnlyList<PolicyOutcome> outcomes, PolicyDecision decision)
    {
        Outcomes = outcomes;
        Decision = decision;
    }

    /// <summary>Each policy's outcome, in the order the policies were given.</summary>
    public IReadOnlyList<PolicyOutcome> Outcomes { get; }

    /// <summary>The combined decision.</summary>
    public PolicyDecision Decision { get; }

    /// <summary>Evaluates <paramref name="policies"/> on <paramref name="context"/>.</summary>
    public static NodePolicyEvaluation Run(IEnumerable<INodePolicy> policies, PolicyContext context)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(context);
        var outcomes = new List<PolicyOutcome>();
        foreach (INodePolicy policy in policies)
        {
            outcomes.Add(policy.Evaluate(context));
        }
        PolicyDecision decision =
            outcomes.Any(o => o.Decision == PolicyDecision.Fail) ? PolicyDecision.Fail
            : outcomes.Any(o => o.Decision == PolicyDecision.Terminate) ? PolicyDecision.Terminate
            : PolicyDecision.Pass;
        return new NodePolicyEvaluation(outcomes, decision);
    }
}
