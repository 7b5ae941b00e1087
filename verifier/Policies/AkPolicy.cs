using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Policies;

/// <summary>
/// Selective enrollment of the AK (DESIGN.md table): no record → TOFU (store the enrolled AK Name,
/// enforce); enforce → the enrolled AK must be the stored one (a re-enrolment with a new AK is refused);
/// learn → accept the enrolled AK, store it, audit; skip → never checked.
/// </summary>
public sealed class AkPolicy : IAttestationPolicy
{
    /// <inheritdoc/>
    public string Name => "ak";

    /// <inheritdoc/>
    public bool NeedsEventLog => false;

    /// <inheritdoc/>
    public PolicyDecision Evaluate(PolicyContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        NodeAttestation node = context.Node;
        byte[] enrolled = context.EnrolledAkName;
        string enrolledHex = Convert.ToHexStringLower(enrolled);
        string? storedHex = node.AkName is null ? null : Convert.ToHexStringLower(node.AkName);
        var d = new PolicyDecision();
        switch (node.AkMode)
        {
            // TOFU, also when an operator chose enforce before the first attestation (nothing stored yet).
            case null:
            case PolicyModes.Enforce when node.AkName is null:
                d.Changes.Add(new PolicyChange("verifier:tofu", "ak", storedHex, enrolledHex, false, n =>
                {
                    n.AkMode = PolicyModes.Enforce;
                    n.AkName = enrolled;
                }));
                break;
            case PolicyModes.Enforce when storedHex != enrolledHex:
                d.Failures.Add(new AttestationReason(AttestationReasonCodes.AkMismatch,
                    $"AK policy enforces AK {storedHex ?? "(none)"} but the node is enrolled with AK {enrolledHex} (re-enrolled with a new AK: set the AK policy to learn to accept it)."));
                break;
            case PolicyModes.Learn:
                d.Changes.Add(new PolicyChange("verifier:learn", "ak", storedHex, enrolledHex, true, n =>
                {
                    n.AkMode = PolicyModes.Enforce;
                    n.AkName = enrolled;
                }));
                break;
        }

        return d;
    }
}
