namespace KcryptPush.Contracts.V1;

/// <summary>The verifier's ECDH P-256 public key (DER SubjectPublicKeyInfo) that passphrases are encrypted to before they cross the bus.</summary>
public sealed record SecretKey(byte[] PublicKey);
