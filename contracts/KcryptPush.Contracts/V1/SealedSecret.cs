namespace KcryptPush.Contracts.V1;

/// <summary>
/// One released partition secret, readable only by the node's TPM: the passphrase is AES-256-GCM
/// encrypted under a fresh random key, and that key is the credential of a TPM2_MakeCredential
/// (TPM 2.0 Part 3 §12.6) to the node's EK bound to its enrolled AK's Name. The agent recovers the
/// key with TPM2_ActivateCredential; no other TPM can.
/// </summary>
/// <param name="Label">The partition label the secret belongs to (e.g. <c>COS_PERSISTENT</c>).</param>
/// <param name="CredentialBlob">TPM2B_ID_OBJECT contents without the outer UINT16 size (as in <see cref="CredentialChallenge"/>).</param>
/// <param name="EncryptedSecret">TPM2B_ENCRYPTED_SECRET contents without the outer UINT16 size.</param>
/// <param name="Nonce">The 12-byte AES-GCM nonce.</param>
/// <param name="Ciphertext">The UTF-8 passphrase encrypted with AES-256-GCM; associated data = UTF-8 of <c>TpmHash ‖ "\n" ‖ Label</c>.</param>
/// <param name="Tag">The 16-byte AES-GCM tag.</param>
public sealed record SealedSecret(
    string Label,
    byte[] CredentialBlob,
    byte[] EncryptedSecret,
    byte[] Nonce,
    byte[] Ciphertext,
    byte[] Tag);
