namespace KcryptPush.Contracts.V1;

/// <summary>
/// Operator → verifier: attach a measured-boot policy to one node (<paramref name="PolicyJson"/>: a policy
/// made by <c>kcrypt-push-verifier policy create</c>, format version 1), replacing the fleet default for it,
/// or with null remove the node's own policy (the fleet default, if any, then applies). The verifier
/// validates the policy before storing it. Answered with <see cref="OperatorCommandResult"/>.
/// </summary>
public sealed record SetBootPolicy(string TpmHash, string? PolicyJson, string Operator);
