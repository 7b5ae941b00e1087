namespace KcryptPush.Contracts.V1;

/// <summary>
/// Agent → registrar request (request/response): proof that TPM2_ActivateCredential recovered the
/// secret of <see cref="CredentialChallenge"/> <paramref name="ChallengeId"/>. The secret itself
/// never crosses the bus. The registrar answers with <see cref="NodeEnrolled"/> (also published to
/// the verifier) or <see cref="EnrolmentRejected"/>.
/// </summary>
/// <param name="ChallengeId">The challenge being answered.</param>
/// <param name="TpmHash">The node's TPM hash (lowercase hex, 64 characters).</param>
/// <param name="Proof">
/// HMAC-SHA256 (RFC 2104), 32 bytes. Key: the recovered credential, i.e. the contents of the
/// TPM2B_DIGEST <c>certInfo</c> returned by TPM2_ActivateCredential, without its UINT16 size.
/// Message: the 64 ASCII bytes of the lowercase hex <paramref name="TpmHash"/>, immediately
/// followed by the 16 bytes of <paramref name="ChallengeId"/> in RFC 4122 network order (the
/// big-endian byte order of the canonical text form, i.e. <c>Guid.ToByteArray(bigEndian: true)</c>).
/// </param>
public sealed record CredentialProof(
    Guid ChallengeId,
    string TpmHash,
    byte[] Proof);
