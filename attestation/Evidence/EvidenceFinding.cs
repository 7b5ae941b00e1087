namespace KcryptPush.Attestation.Evidence;

/// <summary>One failed check of the evidence.</summary>
/// <param name="Code">Which check.</param>
/// <param name="Message">What is wrong, with the values, for operators.</param>
public sealed record EvidenceFinding(EvidenceCode Code, string Message);
