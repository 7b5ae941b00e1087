namespace KcryptPush.Contracts.V1;

/// <summary>One reason behind a verdict.</summary>
/// <param name="Code">A stable code from <see cref="AttestationReasonCodes"/>.</param>
/// <param name="Message">A readable explanation naming what failed (PCR, event, value).</param>
public sealed record AttestationReason(string Code, string Message);
