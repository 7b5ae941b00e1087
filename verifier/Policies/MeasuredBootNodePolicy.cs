using System.Collections.Concurrent;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Findings;
using KcryptPush.Attestation.Replay;
using KcryptPush.Contracts.V1;

namespace KcryptPush.Verifier.Policies;

/// <summary>
/// The node's measured-boot policy (<c>BootPolicyJson</c>, attestation/BootPolicy), when it carries
/// one. Fails when there is no event log, when the log did not replay to the quoted PCRs, when a bank
/// the policy checks was not quoted (its logged digests would be unproven: only replay binds them to
/// the quote), and otherwise for each rule <see cref="BootPolicyEvaluator"/> finds broken. Every
/// failure is a <see cref="AttestationReasonCodes.BootPolicyViolation"/>; the first failing rule
/// that names an event gives the verdict's first broken event.
/// </summary>
public sealed class MeasuredBootNodePolicy : IAttestationPolicy
{
    /// <summary>Finding code: no event log to evaluate.</summary>
    public const string NoEventLog = "BootPolicy.NoEventLog";

    /// <summary>Finding code: the log was not replayed successfully against the quoted PCRs.</summary>
    public const string LogNotReplayed = "BootPolicy.LogNotReplayed";

    /// <summary>Finding code: a policy bank is not among the replayed-and-quoted banks.</summary>
    public const string BankNotQuoted = "BootPolicy.BankNotQuoted";

    /// <summary>Distinct policy documents kept parsed. Nodes usually share a handful of policies; past
    /// this many the cache starts again, so memory stays bounded whatever the fleet stores.</summary>
    public const int CacheCapacity = 1024;

    private readonly ConcurrentDictionary<string, MeasuredBootPolicy> _loaded = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public string Name => "measured-boot";

    /// <inheritdoc/>
    public PolicyDecision Evaluate(PolicyContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Node.BootPolicyJson is not { Length: > 0 } json)
        {
            return PolicyDecision.Pass;
        }

        var d = new PolicyDecision();
        MeasuredBootPolicy policy;
        try
        {
            policy = Load(json);
        }
        catch (BootPolicyFormatException e)
        {
            d.Failures.Add(new AttestationReason(AttestationReasonCodes.BootPolicyViolation, $"the node's measured-boot policy does not load: {e.Message}"));
            return d;
        }

        IReadOnlyList<Finding> findings = Check(policy, context.Log, context.Replay, out BootPolicyEvaluation? evaluation);
        foreach (Finding f in findings.Where(f => f.IsFailure))
        {
            d.Failures.Add(new AttestationReason(AttestationReasonCodes.BootPolicyViolation, f.Message));
        }

        if (evaluation?.Failures.FirstOrDefault(r => r.Event is not null) is { Event: { } at } rule
            && context.Log is not null && at.Index < context.Log.UntrustedEvents.Count)
        {
            d.FirstBrokenEvent = EventDescriptions.Broken(context.Log.UntrustedEvents[at.Index], $"{rule.Rule}: expected {rule.Expected}, found {rule.Found}");
        }

        return d;
    }

    /// <summary>
    /// The checks, in order, stopping at the first of the three preconditions that fails: a log, a
    /// successful replay, every policy bank quoted and replayed; then every rule of
    /// <paramref name="policy"/>, evaluated once. Findings are named "BootPolicy.&lt;rule&gt;" (failures,
    /// and info for passed rules); skipped rules give none.
    /// </summary>
    /// <param name="policy">The measured-boot policy.</param>
    /// <param name="log">The parsed event log; null when there is none.</param>
    /// <param name="replay">The replay of <paramref name="log"/> against the quoted PCRs; null when not replayed.</param>
    /// <param name="evaluation">The rules' evaluation; null when a precondition failed and no rule ran.</param>
    public static IReadOnlyList<Finding> Check(MeasuredBootPolicy policy, ParsedEventLog? log, ReplayVerification? replay, out BootPolicyEvaluation? evaluation)
    {
        ArgumentNullException.ThrowIfNull(policy);
        evaluation = null;
        if (log is null)
        {
            return [Finding.Failure(NoEventLog, "the node has a measured-boot policy but sent no event log")];
        }

        if (replay is not { Succeeded: true })
        {
            return [Finding.Failure(LogNotReplayed, "the event log did not replay to the quoted PCR values, so its events prove nothing")];
        }

        var unquoted = policy.Banks.Where(b => !replay.Checks.Any(c => c.AlgorithmId == b)).ToList();
        if (unquoted.Count > 0)
        {
            return [Finding.Failure(BankNotQuoted,
                $"the policy checks {string.Join(", ", unquoted.Select(TcgAlgorithms.BankName))} digests, "
                + "but no PCR of that bank was quoted and replayed")];
        }

        evaluation = BootPolicyEvaluator.Evaluate(policy, log);
        return evaluation.Results.Where(r => r.Status != RuleStatus.Skipped).Select(r => r.ToFinding()).ToArray();
    }

    private MeasuredBootPolicy Load(string json)
    {
        if (_loaded.TryGetValue(json, out MeasuredBootPolicy? cached))
        {
            return cached;
        }

        MeasuredBootPolicy policy = BootPolicyJson.Load(json); // a policy that does not load is never cached
        if (_loaded.Count >= CacheCapacity)
        {
            _loaded.Clear();
        }

        return _loaded.GetOrAdd(json, policy);
    }
}
