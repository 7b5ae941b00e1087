using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.EventLog;

/// <summary>One TCG_EfiSpecIdEventAlgorithmSize entry of the Spec ID event (PFP §10.4.5.1):
/// a bank the log carries digests for and their size. UNTRUSTED, from the log.</summary>
/// <param name="AlgorithmId">TPM_ALG_ID; may be an algorithm we do not know.</param>
/// <param name="DigestSize">Digest size in bytes, checked against the known size of known algorithms.</param>
public readonly record struct SpecIdAlgorithm(ushort AlgorithmId, ushort DigestSize)
{
    /// <summary>Bank name, e.g. "sha256".</summary>
    public string BankName => TpmAlgorithms.BankName(AlgorithmId);
}
