using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Findings;

namespace KcryptPush.Attestation.Policies;

/// <summary>
/// The measured-boot policy as an <see cref="INodePolicy"/>: fails when the node sent no event
/// log, when the log did not replay to the quoted PCRs, when a bank the policy checks was not
/// quoted (its digests would be unproven), and otherwise when <see cref="BootPolicyEvaluator"/>
/// finds a broken rule. Findings are named "BootPolicy.&lt;rule&gt;" and carry the event.
/// </summary>
public sealed class MeasuredBootNodePolicy : INodePolicy
{
    /// <summary>Finding code: no event log to evaluate.</summary>
    public const string NoEventLog = "BootPolicy.NoEventLog";

    /// <summary>Finding code: the log was not replayed successfully against the quoted PCRs.</summary>
    public const string LogNotReplayed = "BootPolicy.LogNotReplayed";

    /// <summary>Finding code: a policy bank is not among the replayed-and-quoted banks.</summary>
    public const string BankNotQuoted = "BootPolicy.BankNotQuoted";

    private readonly MeasuredBootPolicy _policy;

    /// <summary>Wraps <paramref name="policy"/>.</summary>
    public MeasuredBootNodePolicy(MeasuredBootPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _policy = policy;
    }

    /// <inheritdoc/>
    public string Name => "measured-boot";

    /// <inheritdoc/>
    public PolicyOutcome Evaluate(PolicyContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.EventLog is not { } log)
        {
            return PolicyOutcome.Fail(Name, Finding.Failure(NoEventLog,
                "the node has a measured-boot policy but sent no event log"));
        }
        if (context.Replay is not { Succeeded: true } replay)
        {
            return PolicyOutcome.Fail(Name, Finding.Failure(LogNotReplayed,
                "the event log did not replay to the quoted PCR values, so its events prove nothing"));
        }
        var unquoted = _policy.Banks.Where(b => !replay.Checks.Any(c => c.AlgorithmId == b)).ToList();
        if (unquoted.Count > 0)
        {
            return PolicyOutcome.Fail(Name, Finding.Failure(BankNotQuoted,
                $"the policy checks {string.Join(", ", unquoted.Select(TcgAlgorithms.BankName))} digests, "
                + "but no PCR of that bank was quoted and replayed"));
        }

        BootPolicyEvaluation evaluation = BootPolicyEvaluator.Evaluate(_policy, log);
        Finding[] findings = evaluation.Results.Where(r => r.Status != RuleStatus.Skipped).Select(r => r.ToFinding()).ToArray();
        return evaluation.Passed ? PolicyOutcome.Pass(Name, findings) : PolicyOutcome.Fail(Name, findings);
    }
}
