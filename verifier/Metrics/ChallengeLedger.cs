using System.Collections.Concurrent;

namespace KcryptPush.Verifier.Metrics;

/// <summary>
/// The challenges issued by this process and neither answered nor expired, for
/// <c>kcrypt_push_challenges_outstanding</c>. In memory, so that issuing and answering a
/// challenge cost a dictionary write and no store query: after a restart the challenges issued
/// before it are not counted (they expire within two intervals anyway).
/// </summary>
public sealed class ChallengeLedger
{
    private readonly ConcurrentDictionary<Guid, DateTime> _open = new();

    /// <summary>A challenge was issued, valid until <paramref name="expiresUtc"/>.</summary>
    public void Issued(Guid id, DateTime expiresUtc) => _open[id] = expiresUtc;

    /// <summary>A challenge was claimed by a quote.</summary>
    public void Answered(Guid id) => _open.TryRemove(id, out _);

    /// <summary>The challenges still open at <paramref name="nowUtc"/>; forgets the expired ones.</summary>
    public int Outstanding(DateTime nowUtc)
    {
        int open = 0;
        foreach (KeyValuePair<Guid, DateTime> c in _open)
        {
            if (c.Value < nowUtc)
            {
                _open.TryRemove(c);
            }
            else
            {
                open++;
            }
        }

        return open;
    }
}
