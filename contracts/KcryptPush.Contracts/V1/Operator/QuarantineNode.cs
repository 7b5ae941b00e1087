namespace KcryptPush.Contracts.V1;

/// <summary>Operator → verifier: quarantine a node now, with a reason. Answered with <see cref="OperatorCommandResult"/>.</summary>
public sealed record QuarantineNode(string TpmHash, string Reason, string Operator);
