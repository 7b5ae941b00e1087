namespace KcryptPush.Contracts.V1;

/// <summary>One audit entry: who changed what, when, from which old to which new value.</summary>
public sealed record NodeAuditEntry(
    DateTimeOffset At,
    string Actor,
    string What,
    string? OldValue,
    string? NewValue);
