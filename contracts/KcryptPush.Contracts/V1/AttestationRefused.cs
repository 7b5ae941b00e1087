namespace KcryptPush.Contracts.V1;

/// <summary>
/// Verifier → agent response to <see cref="RequestChallenge"/> when no challenge is issued: the node
/// is unknown (not enrolled), deleted, or terminated after its attestation budget.
/// </summary>
/// <param name="TpmHash">The node that asked.</param>
/// <param name="ReasonCode">A stable code from <see cref="AttestationReasonCodes"/>.</param>
/// <param name="Message">A readable explanation.</param>
public sealed record AttestationRefused(string TpmHash, string ReasonCode, string Message);
