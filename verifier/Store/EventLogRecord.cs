using LiteDB;

namespace KcryptPush.Verifier.Store;

/// <summary>
/// An event log a node sent (collection <c>event_logs</c>, id <c>TpmHash ‖ ":" ‖ hex SHA-256</c>):
/// later quotes name only its digest and are replayed against it. A few per node are kept.
/// </summary>
public sealed class EventLogRecord
{
    /// <summary><c>TpmHash:digesthex</c>.</summary>
    [BsonId]
    public string Id { get; set; } = string.Empty;

    /// <summary>The node.</summary>
    public string TpmHash { get; set; } = string.Empty;

    /// <summary>SHA-256 of <see cref="Log"/>.</summary>
    public byte[] Sha256 { get; set; } = [];

    /// <summary>The binary log.</summary>
    public byte[] Log { get; set; } = [];

    /// <summary>When last named by a quote.</summary>
    public DateTime LastUsedAt { get; set; }
}
