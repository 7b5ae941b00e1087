using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Policies;

/// <summary>
/// A change a policy wants stored if the attestation passes, with its audit entry.
/// </summary>
/// <param name="Actor">Audit actor: <c>verifier:tofu</c> or <c>verifier:learn</c>.</param>
/// <param name="What">Audit subject, e.g. <c>pcr sha256:0</c>.</param>
/// <param name="OldValue">The old value.</param>
/// <param name="NewValue">The new value.</param>
/// <param name="IsRelearn">True for a re-learn (rate-limited per node); false for trust on first use.</param>
/// <param name="Apply">Applies the change to the node's record.</param>
public sealed record PolicyChange(string Actor, string What, string? OldValue, string? NewValue, bool IsRelearn, Action<NodeAttestation> Apply);
