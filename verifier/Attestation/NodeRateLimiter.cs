using System.Collections.Concurrent;

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
        NodeWindow w = _nodes.GetOrAdd(tpmHash, _ => new NodeWindow());
        lock (w)
        {
            w.Open.RemoveAll(c => c.ExpiresAt <= now);
            if (w.Open.Count >= options.MaxOutstandingChallenges)
            {
                refusal = $"{w.Open.Count} challenges requested for node {tpmHash} are still open (at most {options.MaxOutstandingChallenges}): "
                    + $"answer one, or wait until {w.Open.Min(c => c.ExpiresAt):O}.";
                return false;
            }

            if (!w.Requests.TryTake(now, options.ChallengeRequestsPerMinute))
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
        NodeWindow w = _nodes.GetOrAdd(tpmHash, _ => new NodeWindow());
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
        NodeWindow w = _nodes.GetOrAdd(tpmHash, _ => new NodeWindow());
        lock (w)
        {
            return w.Quotes.TryTake(now, options.QuotesPerMinute);
        }
    }

    /// <summary>Forgets a deleted node.</summary>
    public void Forget(string tpmHash) => _nodes.TryRemove(tpmHash, out _);

    private sealed class NodeWindow
    {
        public List<(Guid Id, DateTime ExpiresAt)> Open { get; } = [];

        public SlidingCount Requests { get; } = new();

        public SlidingCount Quotes { get; } = new();
    }

    // At most `limit` events in any one-minute window (timestamps kept, at most `limit` of them).
    private sealed class SlidingCount
    {
        private readonly Queue<DateTime> _at = new();

        public bool TryTake(DateTime now, int limit)
        {
            while (_at.Count > 0 && _at.Peek() <= now - Window)
            {
                _at.Dequeue();
            }

            if (_at.Count >= limit)
            {
                return false;
            }

            _at.Enqueue(now);
            return true;
        }
    }
}
