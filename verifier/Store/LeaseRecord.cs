using LiteDB;

namespace KcryptPush.Verifier.Store;

/// <summary>A lease in the embedded store (collection <c>leases</c>): who holds a once-per-fleet job until when.</summary>
public sealed class LeaseRecord
{
    /// <summary>The job, e.g. <c>scans</c>.</summary>
    [BsonId]
    public string Name { get; set; } = string.Empty;

    /// <summary>The instance holding it.</summary>
    public string Holder { get; set; } = string.Empty;

    /// <summary>When it lapses unless renewed (UTC).</summary>
    public DateTime ExpiresAt { get; set; }
}
