namespace KcryptPush.Tpm.Crypto;

/// <summary>
/// The parts of a sealed secret (the fields of the contracts' SealedSecret; tpm/ does not reference
/// the contracts).
/// </summary>
/// <param name="Label">The partition label.</param>
/// <param name="CredentialBlob">TPM2B_ID_OBJECT contents without the UINT16 size.</param>
/// <param name="EncryptedSecret">TPM2B_ENCRYPTED_SECRET contents without the UINT16 size.</param>
/// <param name="Nonce">12-byte AES-GCM nonce.</param>
/// <param name="Ciphertext">AES-256-GCM ciphertext of the UTF-8 passphrase.</param>
/// <param name="Tag">16-byte AES-GCM tag.</param>
public sealed record SealedSecretParts(string Label, byte[] CredentialBlob, byte[] EncryptedSecret, byte[] Nonce, byte[] Ciphertext, byte[] Tag);
