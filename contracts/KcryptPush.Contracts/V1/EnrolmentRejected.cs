namespace KcryptPush.Contracts.V1;

/// <summary>
/// Registrar → agent response when a <see cref="RegisterNode"/> or <see cref="CredentialProof"/>
/// is refused. A rejection is final for that request: the agent must not simply resend it.
/// </summary>
/// <param name="TpmHash">
/// The TPM hash the request claimed (or the recomputed one when the claim could not be read);
/// informational: a rejection proves nothing about the sender.
/// </param>
/// <param name="ReasonCode">One of <see cref="EnrolmentRejectionReasons"/>; stable across versions.</param>
/// <param name="Message">A human-readable explanation for logs and operators.</param>
/// <param name="ChallengeId">The challenge concerned, for rejections of a <see cref="CredentialProof"/>.</param>
public sealed record EnrolmentRejected(
    string TpmHash,
    string ReasonCode,
    string Message,
    Guid? ChallengeId);
