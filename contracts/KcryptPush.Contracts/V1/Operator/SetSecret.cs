namespace KcryptPush.Contracts.V1;

/// <summary>
/// Operator → verifier: configure a partition secret. The passphrase never crosses the bus in the
/// clear: the operator tool makes an ephemeral ECDH P-256 key, derives an AES-256 key with
/// HKDF-SHA256 (IKM = the shared secret, salt = empty, info = UTF-8 "kcrypt-push set-secret v1")
/// against the verifier's <see cref="SecretKey"/>, and encrypts the UTF-8 passphrase with AES-GCM
/// (associated data = UTF-8 of <c>TpmHash ‖ "\n" ‖ Label</c>). Answered with <see cref="OperatorCommandResult"/>.
/// </summary>
public sealed record SetSecret(
    string TpmHash,
    string Label,
    byte[] EphemeralPublicKey,
    byte[] Nonce,
    byte[] Ciphertext,
    byte[] Tag,
    string Operator);
