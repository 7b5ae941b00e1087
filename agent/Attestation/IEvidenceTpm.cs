using KcryptPush.Contracts.V1;

namespace KcryptPush.Agent.Attestation;

/// <summary>The TPM operations of attestation, behind a seam for tests.</summary>
public interface IEvidenceTpm
{
    /// <summary>
    /// TPM2_Quote (TPM 2.0 Part 3 §18.4) with the AK over the challenge's nonce and PCR selection,
    /// then TPM2_PCR_Read (Part 3 §22.4) of the same selection, taken again while the values read do
    /// not hash to the quote's pcrDigest (a PCR extended in between).
    /// </summary>
    /// <exception cref="PcrsKeptChangingException">The values never matched the quote in a few attempts.</exception>
    /// <exception cref="InvalidChallengeException">The challenge names a bank or PCR this agent cannot select.</exception>
    /// <exception cref="KcryptPush.Tpm.Transport.TpmTransportException">The TPM cannot be reached (transient).</exception>
    QuoteEvidence Quote(Challenge challenge);

    /// <summary>
    /// Recovers the AES key of <paramref name="secret"/> with TPM2_ActivateCredential (EK policy
    /// session, Part 3 §12.5) and opens it (AES-256-GCM, associated data TpmHash ‖ "\n" ‖ Label).
    /// </summary>
    /// <exception cref="KcryptPush.Tpm.Errors.TpmException">The TPM refused: the secret is not sealed to this EK and AK.</exception>
    /// <exception cref="System.Security.Cryptography.AuthenticationTagMismatchException">The ciphertext was altered or sealed for another node or label.</exception>
    byte[] OpenSecret(string tpmHash, SealedSecret secret);
}
