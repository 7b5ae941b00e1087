using System.Collections.Concurrent;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Evidence;
using KcryptPush.Attestation.Findings;
using KcryptPush.Attestation.Replay;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Verifier.Policies;

/// <summary>
/// The fleet's default measured-boot policy (<c>Verifier:DefaultBootPolicy</c>, a file made by
/// <c>policy create</c>), loaded and validated when the service starts.
/// </summary>
/// <param name="Policy">The validated policy.</param>
/// <param name="Source">Where it was read from, for messages.</param>
/// <param name="Sha256">Lowercase hex SHA-256 of the file, for logs.</param>
public sealed record DefaultBootPolicy(MeasuredBootPolicy Policy, string Source, string Sha256);

/// <summary>
/// The measured-boot policy: the node's own (<c>BootPolicyJson</c>, set with <c>nodes set-boot-policy</c>)
/// or, for a node without one, the fleet default (<see cref="DefaultBootPolicy"/>). Fails when there is no
/// event log, when the log did not replay to the quoted PCRs, when a bank the policy checks was not quoted,
/// and, PCR by PCR, when a PCR a rule reads (<see cref="BootPolicyEvaluator.PcrsRead"/>) was not quoted, did
/// not replay (a log without that PCR's events, while the TPM quoted a value other than its reset value), or
/// carries an event without a digest in a quoted bank. It reads only a <see cref="VerifiedEventLog"/>: the
/// events that replayed to quoted values, the only ones that are evidence. Otherwise fails for each rule <see cref="BootPolicyEvaluator"/> finds broken. Every failure is a
/// <see cref="AttestationReasonCodes.BootPolicyViolation"/>; the first failing rule that names an event gives
/// the verdict's first broken event.
/// </summary>
public sealed class MeasuredBootNodePolicy : IAttestationPolicy
{
    /// <summary>Finding code: no event log to evaluate.</summary>
    public const string NoEventLog = "BootPolicy.NoEventLog";

    /// <summary>Finding code: the log was not replayed successfully against the quoted PCRs.</summary>
    public const string LogNotReplayed = "BootPolicy.LogNotReplayed";

    /// <summary>Finding code: a policy bank is not among the replayed-and-quoted banks.</summary>
    public const string BankNotQuoted = "BootPolicy.BankNotQuoted";

    /// <summary>Finding code: a PCR a rule reads was not quoted in a policy bank.</summary>
    public const string PcrNotQuoted = "BootPolicy.PcrNotQuoted";

    /// <summary>Finding code: a PCR a rule reads has no events in the log, yet the TPM quoted a value other than its reset value.</summary>
    public const string PcrNotReplayed = "BootPolicy.PcrNotReplayed";

    /// <summary>Finding code: an event on a PCR a rule reads has no digest for a quoted and replayed bank.</summary>
    public const string EventMissingDigest = "BootPolicy.EventMissingDigest";

    /// <summary>Distinct policy documents kept parsed. Nodes usually share a handful of policies; past
    /// this many the cache starts again, so memory stays bounded whatever the fleet stores.</summary>
    public const int CacheCapacity = 1024;

    private readonly ConcurrentDictionary<string, MeasuredBootPolicy> _loaded = new(StringComparer.Ordinal);
    private readonly DefaultBootPolicy? _default;

    /// <summary>Only nodes with a policy of their own are checked.</summary>
    public MeasuredBootNodePolicy()
    {
    }

    /// <summary>Nodes without a policy of their own are checked against <paramref name="defaultPolicy"/>.</summary>
    public MeasuredBootNodePolicy(DefaultBootPolicy defaultPolicy)
    {
        ArgumentNullException.ThrowIfNull(defaultPolicy);
        _default = defaultPolicy;
    }

    /// <inheritdoc/>
    public string Name => "measured-boot";

    /// <summary>The fleet default, when there is one.</summary>
    public DefaultBootPolicy? Default => _default;

    /// <inheritdoc/>
    public PolicyDecision Evaluate(PolicyContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        MeasuredBootPolicy policy;
        string suffix;
        if (context.Node.BootPolicyJson is { Length: > 0 } json)
        {
            try
            {
                policy = Load(json);
            }
            catch (BootPolicyFormatException e)
            {
                var failed = new PolicyDecision();
                failed.Failures.Add(new AttestationReason(AttestationReasonCodes.BootPolicyViolation, $"the node's measured-boot policy does not load: {e.Message}"));
                return failed;
            }

            suffix = "";
        }
        else if (_default is not null)
        {
            policy = _default.Policy;
            suffix = " (fleet default boot policy)";
        }
        else
        {
            return PolicyDecision.Pass;
        }

        var d = new PolicyDecision();
        Outcome outcome = Run(policy, context.Log, context.QuotedPcrs);
        foreach (Finding f in outcome.Findings.Where(f => f.IsFailure))
        {
            d.Failures.Add(new AttestationReason(AttestationReasonCodes.BootPolicyViolation, f.Message + suffix));
        }

        if (outcome.Broken is { } broken && context.Log is not null && context.Log.TryGet(broken.Index, out UntrustedEvent? at))
        {
            d.FirstBrokenEvent = EventDescriptions.Broken(at, broken.Problem);
        }

        return d;
    }

    /// <summary>
    /// As <see cref="Check(MeasuredBootPolicy, VerifiedEventLog?, IReadOnlyDictionary{string, IReadOnlyDictionary{int, byte[]}}?, out BootPolicyEvaluation?)"/>
    /// with the quoted values known only from the log's replay (the PCRs the log extends).
    /// </summary>
    public static IReadOnlyList<Finding> Check(MeasuredBootPolicy policy, VerifiedEventLog? log, out BootPolicyEvaluation? evaluation) =>
        Check(policy, log, null, out evaluation);

    /// <summary>
    /// The checks, in order, stopping at the first step that fails: a log; a successful replay; every policy
    /// bank quoted and replayed; every PCR the rules read quoted, and either replayed from the log's events or,
    /// without events, quoted at its reset value; a digest in every quoted bank for every event on those PCRs.
    /// Then every rule of <paramref name="policy"/>, evaluated once. Findings are named "BootPolicy.&lt;rule&gt;"
    /// (failures, and info for passed rules); skipped rules give none.
    /// </summary>
    /// <param name="policy">The measured-boot policy.</param>
    /// <param name="log">The verified event log (with its replay against the quoted PCRs); null when there is none.</param>
    /// <param name="quoted">The quoted PCR values (bank name → index → value); null: only those in the log's replay.</param>
    /// <param name="evaluation">The rules' evaluation; null when a precondition failed and no rule ran.</param>
    public static IReadOnlyList<Finding> Check(
        MeasuredBootPolicy policy, VerifiedEventLog? log,
        IReadOnlyDictionary<string, IReadOnlyDictionary<int, byte[]>>? quoted, out BootPolicyEvaluation? evaluation)
    {
        Outcome outcome = Run(policy, log, quoted);
        evaluation = outcome.Evaluation;
        return outcome.Findings;
    }

    private sealed record Broken(int Index, string Problem);

    private sealed record Outcome(IReadOnlyList<Finding> Findings, BootPolicyEvaluation? Evaluation, Broken? Broken);

    private static Outcome Run(
        MeasuredBootPolicy policy, VerifiedEventLog? log, IReadOnlyDictionary<string, IReadOnlyDictionary<int, byte[]>>? quoted)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (log is null)
        {
            return Stop(Finding.Failure(NoEventLog, "the node has a measured-boot policy but sent no event log"));
        }

        // A verified log holds only the PCRs that replayed; the rules judge a whole boot, so every PCR must have.
        ReplayVerification replay = log.Replay;
        if (!replay.Succeeded)
        {
            return Stop(Finding.Failure(LogNotReplayed, "the event log did not replay to the quoted PCR values, so its events prove nothing"));
        }

        var unquoted = policy.Banks.Where(b => !replay.Checks.Any(c => c.AlgorithmId == b)).ToList();
        if (unquoted.Count > 0)
        {
            return Stop(Finding.Failure(BankNotQuoted,
                $"the policy checks {string.Join(", ", unquoted.Select(TpmAlgorithms.BankName))} digests, "
                + "but no PCR of that bank was quoted and replayed"));
        }

        IReadOnlySet<int> read = BootPolicyEvaluator.PcrsRead(policy, log);
        if (Unproven(policy, log, replay, quoted, read) is { Count: > 0 } unproven)
        {
            return new Outcome(unproven, null, null);
        }

        if (MissingDigests(log, replay, read, out Broken? broken) is { Count: > 0 } missing)
        {
            return new Outcome(missing, null, broken);
        }

        BootPolicyEvaluation evaluation = BootPolicyEvaluator.Evaluate(policy, log);
        Broken? first = evaluation.Failures.FirstOrDefault(r => r.Event is not null) is { Event: { } at } rule
            ? new Broken(at.Index, $"{rule.Rule}: expected {rule.Expected}, found {rule.Found}")
            : null;
        return new Outcome(evaluation.Results.Where(r => r.Status != RuleStatus.Skipped).Select(r => r.ToFinding()).ToArray(), evaluation, first);
    }

    private static Outcome Stop(Finding f) => new([f], null, null);

    // Each PCR a rule reads, in each policy bank: replayed from the log's events to the quoted value, or (no
    // events in that bank) quoted at its reset value. A log that leaves out the events of a PCR the TPM extended
    // fails here with its own code, instead of the rules finding nothing to object to.
    private static List<Finding> Unproven(
        MeasuredBootPolicy policy, VerifiedEventLog log, ReplayVerification replay,
        IReadOnlyDictionary<string, IReadOnlyDictionary<int, byte[]>>? quoted, IReadOnlySet<int> read)
    {
        var findings = new List<Finding>();
        byte locality = log.Pcr0StartLocality;
        foreach (ushort bank in policy.Banks)
        {
            string name = TpmAlgorithms.BankName(bank);
            foreach (int pcr in read)
            {
                PcrCheck? check = replay.Checks.FirstOrDefault(c => c.AlgorithmId == bank && c.Pcr == pcr);
                switch (check?.Status)
                {
                    case PcrCheckStatus.Matched or PcrCheckStatus.MatchedOnlyWithWorkaround:
                        continue;
                    case PcrCheckStatus.NotInActual:
                        findings.Add(Finding.Failure(PcrNotQuoted, $"PCR {name}:{pcr}: the policy reads its events, but the quote does not cover it"));
                        continue;
                    case PcrCheckStatus.Mismatched:
                        findings.Add(Finding.Failure(PcrNotReplayed, $"PCR {name}:{pcr}: the policy reads its events, but they do not replay to the quoted value"));
                        continue;
                }

                byte[]? value = quoted is not null && quoted.TryGetValue(name, out IReadOnlyDictionary<int, byte[]>? values) && values.TryGetValue(pcr, out byte[]? v) ? v : null;
                if (value is null)
                {
                    findings.Add(Finding.Failure(PcrNotQuoted,
                        $"PCR {name}:{pcr}: the policy reads its events, but the log has none and the quote does not cover it, so nothing shows that none were measured"));
                    continue;
                }

                var reset = new byte[value.Length];
                PcrInitialValues.Write(pcr, locality, reset);
                if (!value.AsSpan().SequenceEqual(reset))
                {
                    findings.Add(Finding.Failure(PcrNotReplayed,
                        $"PCR {name}:{pcr}: the log has no {name} events for it, but the TPM quoted {Convert.ToHexStringLower(value)}, not its reset value "
                        + $"{Convert.ToHexStringLower(reset)}: the log leaves out events the policy reads"));
                }
            }
        }

        return findings;
    }

    // Replay skips an event without a digest for a bank, so in that bank nothing binds it to the quote.
    private static List<Finding> MissingDigests(VerifiedEventLog log, ReplayVerification replay, IReadOnlySet<int> read, out Broken? broken)
    {
        broken = null;
        var findings = new List<Finding>();
        ushort[] replayed = replay.Checks.Select(c => c.AlgorithmId).Distinct().ToArray();
        foreach (UntrustedEvent e in log.Events)
        {
            if (e.EventType == TcgEventType.EV_NO_ACTION || e.PcrIndex >= PcrInitialValues.PcrCount || !read.Contains((int)e.PcrIndex))
            {
                continue;
            }

            string[] lacking = replayed.Where(b => !e.TryGetDigest(b, out _)).Select(TpmAlgorithms.BankName).ToArray();
            if (lacking.Length > 0)
            {
                string problem = $"no {string.Join(", ", lacking)} digest although that bank was quoted and replayed: replay skipped it, so nothing binds it to the quote";
                findings.Add(Finding.Failure(EventMissingDigest, $"{EventReference.Of(e)}: {problem}"));
                broken ??= new Broken(e.Index, problem);
            }
        }

        return findings;
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
