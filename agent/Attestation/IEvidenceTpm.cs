using KcryptPush.Contracts.V1;

namespace KcryptPush.Agent.Attestation;

/// <summary>The TPM operations of attestation, behind a seam for tests.</summary>
public interface IEvidenceTpm
{
    /// <summary>
    /// TPM2_Quote (TPM 2.0 Part 3 §18.4) with the AK over the challenge's PCR selection, qualified by
    /// the evidence binding SHA-256(nonce ‖ <paramref name="eventLogSha256"/> ‖ release key Name or
    /// nothing), then TPM2_PCR_Read (Part 3 §22.4) of the same selection, taken again while the values
    /// read do not hash to the quote's pcrDigest (a PCR extended in between). With
    /// <paramref name="releaseKey"/>, a release key bound to the values and resetCount about to be
    /// quoted is created first (and flushed again); its public area is part of the evidence.
    /// </summary>
    /// <exception cref="PcrsKeptChangingException">The values never matched the quote in a few attempts.</exception>
    /// <exception cref="InvalidChallengeException">The challenge names a bank or PCR this agent cannot select.</exception>
    /// <exception cref="KcryptPush.Tpm.Transport.TpmTransportException">The TPM cannot be reached (transient).</exception>
    QuoteEvidence Quote(Challenge challenge, byte[] eventLogSha256, bool releaseKey);

    /// <summary>
    /// Recovers the AES key of <paramref name="secret"/> with TPM2_ActivateCredential: the release key of
    /// <paramref name="evidence"/> (recreated in the NULL hierarchy, then flushed) under a policy session
    /// replaying PolicyPCR ∧ PolicyCounterTimer(resetCount) ∧ PolicyCommandCode, and the EK under its
    /// policy session (Part 3 §12.5); then opens it (AES-256-GCM, associated data TpmHash ‖ "\n" ‖ Label).
    /// </summary>
    /// <exception cref="KcryptPush.Tpm.Errors.TpmException">
    /// The TPM refused: another TPM, another boot (TPM Reset), or PCR values no longer those quoted.
    /// </exception>
    /// <exception cref="ReleaseKeyGoneException">The release key cannot be recreated with the same Name (the TPM was reset).</exception>
    /// <exception cref="System.Security.Cryptography.AuthenticationTagMismatchException">The ciphertext was altered or sealed for another node or label.</exception>
    byte[] OpenSecret(string tpmHash, SealedSecret secret, QuoteEvidence evidence);
}
