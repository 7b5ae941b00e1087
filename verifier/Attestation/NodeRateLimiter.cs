using System.Collections.Concurrent;
using KcryptPush.Contracts.Limits;

namespace KcryptPush.Verifier.Attestation;

/// <summary>
/// Per-node limits that keep one node (or someone sending in its name) from crowding out the rest of
/// the fleet: RequestChallenge per minute, challenges issued on request and still open, and
/// authenticated QuoteSubmitted per minute. Only enrolled nodes reach it, so it holds at most one
/// small entry per enrolled node.
/// <para>
/// What the challenge limits cannot stop: anyone with a broker login may request challenges in a
/// node's name (requests are not signed), so a node restarting during such a flood may wait up to
/// one challenge expiry for its first challenge. A running node never needs one: its next challenge
/// rides on each result. Quotes are counted only once authenticated, so a forger cannot spend a
/// node's quota.
/// </para>
/// </summary>
public sealed class NodeRateLimiter(VerifierOptions options)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, NodeWindow> _nodes = new(StringComparer.Ordinal);

    /// <summary>Whether a RequestChallenge of <paramref name="tpmHash"/> may be answered now; why not otherwise.</summary>
    public bool TryRequestChallenge(string tpmHash, DateTime now, out string? refusal)
    {
        NodeWindow w = _nodes.GetOrAdd(tpmHash, static (_, o) => new NodeWindow(o), options);
        lock (w)
        {
            w.Open.RemoveAll(c => c.ExpiresAt <= now);
            if (w.Open.Count >= options.MaxOutstandingChallenges)
            {
                refusal = $"{w.Open.Count} challenges requested for node {tpmHash} are still open (at most {options.MaxOutstandingChallenges}): "
                    + $"answer one, or wait until {w.Open.Min(c => c.ExpiresAt):O}.";
                return false;
            }

            if (!w.Requests.TryAcquire(AsOffset(now)))
            {
                refusal = $"node {tpmHash} asked for more than {options.ChallengeRequestsPerMinute} challenges in a minute.";
                return false;
            }

            refusal = null;
            return true;
        }
    }

    /// <summary>Counts a challenge issued on request as open until it is used or expires.</summary>
    public void Requested(string tpmHash, Guid challengeId, DateTime expiresAt)
    {
        NodeWindow w = _nodes.GetOrAdd(tpmHash, static (_, o) => new NodeWindow(o), options);
        lock (w)
        {
            w.Open.Add((challengeId, expiresAt));
        }
    }

    /// <summary>A challenge was answered by an authenticated quote: no longer open.</summary>
    public void Used(string tpmHash, Guid challengeId)
    {
        if (_nodes.TryGetValue(tpmHash, out NodeWindow? w))
        {
            lock (w)
            {
                w.Open.RemoveAll(c => c.Id == challengeId);
            }
        }
    }

    /// <summary>Whether an authenticated quote of <paramref name="tpmHash"/> may be judged now.</summary>
    public bool TryQuote(string tpmHash, DateTime now)
    {
        NodeWindow w = _nodes.GetOrAdd(tpmHash, static (_, o) => new NodeWindow(o), options);
        lock (w)
        {
            return w.Quotes.TryAcquire(AsOffset(now));
        }
    }

    /// <summary>Forgets a deleted node.</summary>
    public void Forget(string tpmHash) => _nodes.TryRemove(tpmHash, out _);

    // DateTime compares ticks whatever its Kind; an offset of zero keeps exactly those ticks.
    private static DateTimeOffset AsOffset(DateTime now) => new(now.Ticks, TimeSpan.Zero);

    private sealed class NodeWindow(VerifierOptions options)
    {
        public List<(Guid Id, DateTime ExpiresAt)> Open { get; } = [];

        // At most the limit in any one-minute window (timestamps kept, at most the limit of them).
        public SlidingWindowCounter Requests { get; } = new(options.ChallengeRequestsPerMinute, Window);

        public SlidingWindowCounter Quotes { get; } = new(options.QuotesPerMinute, Window);
    }
}
