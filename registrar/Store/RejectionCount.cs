using LiteDB;

namespace KcryptPush.Registrar.Store;

/// <summary>
/// How many requests were refused for one reason code (LiteDB collection <c>rejections</c>, one
/// document per reason). Rejections are counted here instead of one audit entry each, so a flood
/// of refused requests cannot grow the file; the per-request detail goes to the log.
/// </summary>
public sealed class RejectionCount
{
    /// <summary>The reason code (<c>EnrolmentRejectionReasons</c>).</summary>
    [BsonId]
    public string ReasonCode { get; set; } = string.Empty;

    /// <summary>Requests refused for this reason since the file was created.</summary>
    public long Count { get; set; }

    /// <summary>When the first of them was reported.</summary>
    public DateTime FirstAt { get; set; }

    /// <summary>When the last of them was reported.</summary>
    public DateTime LastAt { get; set; }
}
