using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Policies;

namespace KcryptPush.Verifier.Operator;

/// <summary>
/// Keeps an operator's quarantine in force: while <see cref="Store.NodeAttestation.OperatorQuarantine"/>
/// is set, even valid evidence fails with <c>operator-quarantine</c> (the node stays Quarantined and
/// gets no secret) until <c>nodes release</c>. Without it the next passing quote would undo the command.
/// </summary>
public sealed class OperatorQuarantinePolicy : IAttestationPolicy
{
    /// <inheritdoc/>
    public string Name => "operator-quarantine";

    /// <inheritdoc/>
    public PolicyDecision Evaluate(PolicyContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var d = new PolicyDecision();
        if (context.Node.OperatorQuarantine is { } hold)
        {
            d.Failures.Add(new AttestationReason(AttestationReasonCodes.OperatorQuarantine,
                $"quarantined by {hold}; the evidence is not judged trusted until an operator runs 'kcrypt-push-verifier nodes release'."));
        }

        return d;
    }
}
