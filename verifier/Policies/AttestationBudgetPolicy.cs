namespace KcryptPush.Verifier.Policies;

/// <summary>
/// Keylime's "attest N times, then stop": when the node's policy sets <c>maxAttestations</c>, the pass
/// that reaches it terminates the node (not a failure): it still passes (and gets its secrets), no
/// next challenge is issued, NodeTerminated is published and its silence is no alarm.
/// </summary>
public sealed class AttestationBudgetPolicy : IAttestationPolicy
{
    /// <inheritdoc/>
    public string Name => "budget";

    /// <inheritdoc/>
    public PolicyDecision Evaluate(PolicyContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var d = new PolicyDecision();
        if (context.Node.MaxAttestations is int max && context.Node.AttestationsPassed + 1 >= max)
        {
            d.Terminate = true;
        }

        return d;
    }
}
