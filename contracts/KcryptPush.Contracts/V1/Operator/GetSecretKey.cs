namespace KcryptPush.Contracts.V1;

/// <summary>Operator → verifier: the verifier's public key for <see cref="SetSecret"/>. Answered with <see cref="SecretKey"/>.</summary>
public sealed record GetSecretKey;
