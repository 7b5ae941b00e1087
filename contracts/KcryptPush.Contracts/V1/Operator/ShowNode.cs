namespace KcryptPush.Contracts.V1;

/// <summary>Operator → verifier request: one node in full. Answered with <see cref="NodeDetails"/> or <see cref="OperatorCommandResult"/> (unknown node).</summary>
public sealed record ShowNode(string TpmHash);
