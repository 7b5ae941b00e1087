namespace KcryptPush.Contracts.V1;

/// <summary>
/// Registrar → agent response to <see cref="RegisterNode"/>: the output of TPM2_MakeCredential
/// (TPM 2.0 Part 3 §12.6) to the node's EK, bound to the AK's Name. Only the TPM holding both keys
/// can recover the secret with TPM2_ActivateCredential (Part 3 §12.5).
/// </summary>
/// <param name="ChallengeId">Single-use id of this challenge; the proof must carry it.</param>
/// <param name="TpmHash">The TPM hash the registrar computed from the EK public.</param>
/// <param name="CredentialBlob">
/// TPM2B_ID_OBJECT contents (Part 2 §11.4.3), i.e. the <c>credentialBlob</c> bytes WITHOUT the
/// outer UINT16 size: UINT16 |integrityHMAC| ‖ integrityHMAC ‖ encIdentity.
/// </param>
/// <param name="EncryptedSecret">
/// TPM2B_ENCRYPTED_SECRET contents (Part 2 §11.4.5) WITHOUT the outer UINT16 size: the RSA-OAEP
/// encrypted seed, or for ECC EKs the ephemeral point (UINT16 |x| ‖ x ‖ UINT16 |y| ‖ y).
/// </param>
/// <param name="ExpiresAt">After this instant (UTC) the registrar refuses the proof.</param>
public sealed record CredentialChallenge(
    Guid ChallengeId,
    string TpmHash,
    byte[] CredentialBlob,
    byte[] EncryptedSecret,
    DateTimeOffset ExpiresAt);
