namespace KcryptPush.Contracts.V1;

/// <summary>One judged attestation in a node's bounded history.</summary>
public sealed record AttestationRecord(
    DateTimeOffset At,
    string Verdict,
    AttestationReason[] Reasons,
    uint ResetCount,
    ulong Clock);
