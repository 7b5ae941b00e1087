using KcryptPush.Contracts.V1;

namespace KcryptPush.Agent.Attestation;

/// <summary>
/// What the TPM produced for one challenge: TPMS_ATTEST bytes, TPMT_SIGNATURE bytes, the PCR values
/// the quote covers and, when a release was asked for, the public area of the release key whose Name
/// the quote's extraData binds (TPMT_PUBLIC bytes, as TPM2_CreatePrimary returned them).
/// </summary>
public sealed record QuoteEvidence(byte[] Attest, byte[] Signature, PcrBankValues[] Pcrs, byte[]? ReleaseKeyPublic = null);
