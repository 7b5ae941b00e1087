using LiteDB;

namespace KcryptPush.Verifier.Store;

/// <summary>One judged attestation (collection <c>attestation_history</c>, bounded per node).</summary>
public sealed class HistoryRecord
{
    /// <summary>Auto-incremented id.</summary>
    [BsonId(true)]
    public long Id { get; set; }

    /// <summary>The node.</summary>
    public string TpmHash { get; set; } = string.Empty;

    /// <summary>When judged.</summary>
    public DateTime At { get; set; }

    /// <summary>The challenge answered.</summary>
    public Guid ChallengeId { get; set; }

    /// <summary>The verdict.</summary>
    public string Verdict { get; set; } = string.Empty;

    /// <summary>Reason codes, parallel to <see cref="Messages"/>.</summary>
    public List<string> Codes { get; set; } = [];

    /// <summary>Readable reasons.</summary>
    public List<string> Messages { get; set; } = [];

    /// <summary>resetCount of the quote, when it parsed.</summary>
    public long ResetCount { get; set; }

    /// <summary>clock of the quote, when it parsed.</summary>
    public long Clock { get; set; }

    /// <summary>True when resetCount changed since the previous quote (a reboot).</summary>
    public bool Rebooted { get; set; }
}
