using KcryptPush.Attestation.Findings;

namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// The outcome of one rule (or of one check of a rule, when a rule fails in several places):
/// which rule, what the policy expected, what the log shows, and the event that broke it.
/// </summary>
/// <param name="Rule">One of <see cref="BootPolicyRules"/>.</param>
/// <param name="Status">Passed, failed or skipped.</param>
/// <param name="Expected">What the policy expects, readable (digests in full lowercase hex).</param>
/// <param name="Found">What the log shows.</param>
/// <param name="Event">The event that broke the rule; null when no single event is to blame (a missing measurement).</param>
public sealed record RuleResult(string Rule, RuleStatus Status, string Expected, string Found, EventReference? Event)
{
    /// <summary>Finding code prefix: findings are named "BootPolicy.&lt;rule&gt;".</summary>
    public const string FindingPrefix = "BootPolicy.";

    /// <summary>"rule: expected X, found Y at event #n (PCR p, TYPE, byte offset o)".</summary>
    public string Message =>
        $"{Rule}: expected {Expected}, found {Found}{(Event is null ? "" : $" at {Event}")}";

    /// <summary>This result as a finding (failure, info for passes and skips).</summary>
    public Finding ToFinding() => Status == RuleStatus.Failed
        ? Finding.Failure(FindingPrefix + Rule, Message)
        : Finding.Info(FindingPrefix + Rule, $"{Rule}: {(Status == RuleStatus.Passed ? "passed" : "skipped")}: {Found}");

    /// <inheritdoc/>
    public override string ToString() => $"{Status.ToString().ToLowerInvariant()} {Message}";
}
