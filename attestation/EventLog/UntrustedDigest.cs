using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.EventLog;

/// <summary>One TPMT_HA of an event: a digest the log CLAIMS was extended into a PCR bank.
/// UNTRUSTED until replay matches a quoted PCR value.</summary>
/// <param name="AlgorithmId">TPM_ALG_ID of the bank.</param>
/// <param name="Digest">The digest bytes (size from the Spec ID event, or 20 for SHA-1 logs).</param>
public readonly record struct UntrustedDigest(ushort AlgorithmId, ReadOnlyMemory<byte> Digest)
{
    /// <summary>Bank name, e.g. "sha256".</summary>
    public string BankName => TpmAlgorithms.BankName(AlgorithmId);
}
