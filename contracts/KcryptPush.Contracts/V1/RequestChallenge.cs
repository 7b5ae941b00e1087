namespace KcryptPush.Contracts.V1;

/// <summary>
/// Agent → verifier request (request/response), sent only at start or when the agent holds no
/// valid challenge: every <see cref="AttestationResult"/> carries the next one. The verifier
/// answers with <see cref="Challenge"/> or <see cref="AttestationRefused"/>.
/// </summary>
/// <param name="TpmHash">The node (lowercase hex SHA-256 of the EK's DER SubjectPublicKeyInfo).</param>
public sealed record RequestChallenge(string TpmHash);
