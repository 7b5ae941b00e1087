using LiteDB;

namespace KcryptPush.Verifier.Store;

/// <summary>Who changed what, when, old → new (collection <c>attestation_audit</c>).</summary>
public sealed class AuditRecord
{
    /// <summary>Auto-incremented id.</summary>
    [BsonId(true)]
    public long Id { get; set; }

    /// <summary>The node.</summary>
    public string TpmHash { get; set; } = string.Empty;

    /// <summary>When.</summary>
    public DateTime At { get; set; }

    /// <summary>Who: an operator name, or <c>verifier:tofu</c> / <c>verifier:learn</c> / <c>verifier</c>.</summary>
    public string Actor { get; set; } = string.Empty;

    /// <summary>What, e.g. <c>pcr sha256:0</c>, <c>ak</c>, <c>state</c>, <c>secret COS_PERSISTENT</c>.</summary>
    public string What { get; set; } = string.Empty;

    /// <summary>Old value, if any.</summary>
    public string? OldValue { get; set; }

    /// <summary>New value, if any.</summary>
    public string? NewValue { get; set; }
}
