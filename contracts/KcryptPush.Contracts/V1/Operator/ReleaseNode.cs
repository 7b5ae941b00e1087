namespace KcryptPush.Contracts.V1;

/// <summary>Operator → verifier: lift a quarantine; the node is Pending until its next attestation. Answered with <see cref="OperatorCommandResult"/>.</summary>
public sealed record ReleaseNode(string TpmHash, string Operator);
