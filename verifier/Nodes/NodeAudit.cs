namespace KcryptPush.Verifier.Nodes;

/// <summary>One audit entry a transition writes (<see cref="Store.AuditRecord"/> without node and time).</summary>
/// <param name="Actor">An operator name, or <c>verifier</c>, <c>verifier:tofu</c>, <c>verifier:learn</c>.</param>
/// <param name="What">E.g. <c>state</c>, <c>operator-quarantine</c>, <c>pcr sha256:0</c>.</param>
/// <param name="OldValue">The old value, if any.</param>
/// <param name="NewValue">The new value, if any.</param>
public sealed record NodeAudit(string Actor, string What, string? OldValue, string? NewValue);
