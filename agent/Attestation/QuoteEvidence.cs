using KcryptPush.Contracts.V1;

namespace KcryptPush.Agent.Attestation;

/// <summary>What the TPM produced for one challenge: TPMS_ATTEST bytes, TPMT_SIGNATURE bytes and the PCR values the quote covers.</summary>
public sealed record QuoteEvidence(byte[] Attest, byte[] Signature, PcrBankValues[] Pcrs);
