namespace KcryptPush.Contracts.V1;

/// <summary>Operator → verifier: forget a node (its policy, secrets and history). Answered with <see cref="OperatorCommandResult"/>.</summary>
public sealed record DeleteNode(string TpmHash, string Operator);
