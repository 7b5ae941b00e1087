using LiteDB;

namespace KcryptPush.Registrar.Store;

/// <summary>One enrolment event (LiteDB collection <c>audit</c>); never updated or deleted.</summary>
public sealed class AuditEntry
{
    /// <summary>Auto-incremented id (insertion order).</summary>
    [BsonId(true)]
    public long Id { get; set; }

    /// <summary>When.</summary>
    public DateTime At { get; set; }

    /// <summary>The node (TPM hash; the claimed one when the EK could not be read).</summary>
    public string TpmHash { get; set; } = string.Empty;

    /// <summary>What happened: one of <see cref="AuditEvents"/>.</summary>
    public string Event { get; set; } = string.Empty;

    /// <summary>Rejection reason code, for <see cref="AuditEvents.Rejected"/>.</summary>
    public string? ReasonCode { get; set; }

    /// <summary>Human-readable detail.</summary>
    public string Detail { get; set; } = string.Empty;

    /// <summary>The agent's registration attempt.</summary>
    public Guid? RegistrationId { get; set; }

    /// <summary>The challenge concerned.</summary>
    public Guid? ChallengeId { get; set; }

    /// <summary>Previous AK Name (hex) when the AK changed.</summary>
    public string? OldAkName { get; set; }

    /// <summary>New AK Name (hex).</summary>
    public string? NewAkName { get; set; }
}
