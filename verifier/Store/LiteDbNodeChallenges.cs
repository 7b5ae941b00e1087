using LiteDB;

namespace KcryptPush.Verifier.Store;

/// <summary>
/// A node's challenges in the embedded store: one document per node (collection <c>node_challenges</c>,
/// keyed by TPM hash) instead of one document per challenge. A steady attestation claims one challenge
/// and issues the next; as edits of one document that is one rewrite of a few KB with no index update,
/// where the per-challenge collection inserted a document and updated three indexes (id, node, expiry)
/// for every challenge issued, and kept every answered challenge for a day (about 17,000 a node at a
/// 5 s interval). Which challenges a node's document keeps is <see cref="Kept"/>.
/// </summary>
internal sealed class LiteDbNodeChallenges
{
    /// <summary>
    /// At most this many challenges are kept per node. A node holds one open challenge and the one it
    /// answered last in steady state, plus at most <c>Verifier:MaxOutstandingChallenges</c> (default 4)
    /// requested on restarts; the bound only stops a node from growing its document without limit.
    /// </summary>
    public const int PerNode = 16;

    /// <summary>
    /// Of which at most this many answered ones: a node has one message in flight, so only its latest
    /// answers can be redelivered; an older copy is refused whether its challenge is found (reused) or
    /// not (unknown). Without it a node attesting back to back (faster than its challenges expire)
    /// filled its document to <see cref="PerNode"/> answered challenges, each with its result, and every
    /// attestation rewrote them all (measured: verifier CPU per attestation up by half under load).
    /// </summary>
    public const int AnsweredPerNode = 2;

    /// <summary>The node.</summary>
    [BsonId]
    public string TpmHash { get; set; } = string.Empty;

    /// <summary>Its challenges, oldest issued first.</summary>
    public List<ChallengeRecord> Challenges { get; set; } = [];

    /// <summary>
    /// The challenges a node keeps after <paramref name="written"/> (a unit's claims and issues, or one
    /// issued on request) are put over <paramref name="stored"/>, oldest issued first:
    /// <list type="number">
    /// <item>an answered challenge that had expired when the newest of <paramref name="written"/> was
    /// issued or answered goes: its only use was giving a redelivered copy the same result, and a copy
    /// arriving after expiry is refused anyway (as an unknown challenge now, rather than an expired one);
    /// an unanswered one stays until <see cref="IVerifierStore.PruneChallenges"/>;</item>
    /// <item>answered ones beyond <see cref="AnsweredPerNode"/> go, oldest issued first;</item>
    /// <item>beyond <paramref name="bound"/>, answered challenges go before open ones, each oldest issued
    /// first.</item>
    /// </list>
    /// What <paramref name="written"/> holds goes last in each step.
    /// Pure: no time is read, the records decide.
    /// </summary>
    public static List<ChallengeRecord> Kept(IEnumerable<ChallengeRecord> stored, IReadOnlyCollection<ChallengeRecord> written, int bound)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(written);
        ArgumentOutOfRangeException.ThrowIfLessThan(bound, 1);
        var mine = new HashSet<Guid>(written.Select(c => c.Id));
        DateTime reference = written.Count == 0 ? DateTime.MinValue
            : written.Max(c => Utc(c.UsedAt is { } used && Utc(used) > Utc(c.IssuedAt) ? used : c.IssuedAt));
        List<ChallengeRecord> kept = stored
            .Where(c => !mine.Contains(c.Id) && !(c.UsedAt is not null && Utc(c.ExpiresAt) < reference))
            .Concat(written)
            .OrderBy(c => Utc(c.IssuedAt))
            .ToList();
        int answered = kept.Count(c => c.UsedAt is not null);
        if (answered > AnsweredPerNode)
        {
            HashSet<Guid> old = kept
                .Where(c => c.UsedAt is not null)
                .OrderBy(c => mine.Contains(c.Id))
                .ThenBy(c => Utc(c.IssuedAt))
                .Take(answered - AnsweredPerNode)
                .Select(c => c.Id)
                .ToHashSet();
            kept.RemoveAll(c => old.Contains(c.Id));
        }

        if (kept.Count > bound)
        {
            HashSet<Guid> dropped = kept
                .OrderBy(c => mine.Contains(c.Id))
                .ThenBy(c => c.UsedAt is null)
                .ThenBy(c => Utc(c.IssuedAt))
                .Take(kept.Count - bound)
                .Select(c => c.Id)
                .ToHashSet();
            kept.RemoveAll(c => dropped.Contains(c.Id));
        }

        return kept;
    }

    // LiteDB hands DateTime back in local time; records written in memory may be UTC or unspecified.
    private static DateTime Utc(DateTime t) => t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : DateTime.SpecifyKind(t, DateTimeKind.Utc);
}
