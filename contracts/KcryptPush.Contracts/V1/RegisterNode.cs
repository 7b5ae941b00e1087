namespace KcryptPush.Contracts.V1;

/// <summary>
/// Agent → registrar request (request/response): "this is my TPM's EK and the AK I want enrolled".
/// The registrar answers with <see cref="CredentialChallenge"/> or <see cref="EnrolmentRejected"/>.
/// </summary>
/// <remarks>
/// Every <c>byte[]</c> travels as standard base64 (RFC 4648 §4, with padding) in MassTransit's
/// System.Text.Json envelope; property names are camelCase on the wire.
/// </remarks>
/// <param name="TpmHash">
/// The identity the agent claims: lowercase hex SHA-256 of the EK public key in DER
/// SubjectPublicKeyInfo form (64 characters). The registrar recomputes it from
/// <paramref name="EkPublic"/> and rejects the request when the two differ; it is never trusted
/// on its own.
/// </param>
/// <param name="EkPublic">
/// The EK's TPMT_PUBLIC (TPM 2.0 Part 2 §12.2.4), big-endian, WITHOUT the UINT16 size of the
/// TPM2B_PUBLIC around it: exactly the bytes the EK's Name is hashed over.
/// </param>
/// <param name="EkCertificate">
/// The EK certificate (DER X.509) read from the TPM's NV index (e.g. 0x01C00002 for RSA-2048,
/// 0x01C00016 for P-384), or <c>null</c> when the TPM has none.
/// </param>
/// <param name="AkPublic">
/// The AK's TPMT_PUBLIC, same encoding as <paramref name="EkPublic"/>. Must be a restricted signing
/// key (fixedTPM, fixedParent, sensitiveDataOrigin, restricted, sign; no decrypt).
/// </param>
/// <param name="Hostname">The node's host name, informational only (never an identity).</param>
/// <param name="RegistrationId">
/// Chosen by the agent per registration attempt; echoed in logs and the audit trail so a retried
/// request can be told from a new one.
/// </param>
public sealed record RegisterNode(
    string TpmHash,
    byte[] EkPublic,
    byte[]? EkCertificate,
    byte[] AkPublic,
    string Hostname,
    Guid RegistrationId);
