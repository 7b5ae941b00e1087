using System.Collections.Concurrent;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.Findings;
using KcryptPush.Attestation.Policies;
using KcryptPush.Contracts.V1;
using AttestationPolicyContext = KcryptPush.Attestation.Policies.PolicyContext;

namespace KcryptPush.Verifier.Policies;

/// <summary>
/// Plugs attestation/'s measured-boot policy (<see cref="MeasuredBootNodePolicy"/>) in when the node
/// carries one (<c>BootPolicyJson</c>): each failing rule is a
/// <see cref="AttestationReasonCodes.BootPolicyViolation"/>, and the first rule's breaking event is
/// the verdict's first broken event.
/// </summary>
public sealed class MeasuredBootPolicyAdapter : IAttestationPolicy
{
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
            policy = _loaded.Count > 1024 ? BootPolicyJson.Load(json) : _loaded.GetOrAdd(json, BootPolicyJson.Load);
        }
        catch (BootPolicyFormatException e)
        {
            d.Failures.Add(new AttestationReason(AttestationReasonCodes.BootPolicyViolation, $"the node's measured-boot policy does not load: {e.Message}"));
            return d;
        }

        var adapted = new AttestationPolicyContext
        {
            TpmHash = context.Node.TpmHash,
            AkName = context.EnrolledAkName,
            ReportedPcrs = context.ReportedPcrs ?? new KcryptPush.Attestation.Quotes.PcrValues(),
            EventLog = context.Log,
            Replay = context.Replay,
            PassedAttestations = context.Node.AttestationsPassed,
        };
        PolicyOutcome outcome = new MeasuredBootNodePolicy(policy).Evaluate(adapted);
        foreach (Finding f in outcome.Failures)
        {
            d.Failures.Add(new AttestationReason(AttestationReasonCodes.BootPolicyViolation, f.Message));
        }

        if (d.Failures.Count > 0 && BootPolicyEvaluator.Evaluate(policy, context.Log).Failures.FirstOrDefault(r => r.Event is not null) is { Event: { } at } rule
            && at.Index < context.Log.UntrustedEvents.Count)
        {
            d.FirstBrokenEvent = EventDescriptions.Broken(context.Log.UntrustedEvents[at.Index], $"{rule.Rule}: expected {rule.Expected}, found {rule.Found}");
        }

        return d;
    }
}
