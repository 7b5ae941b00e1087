using System.Collections.Concurrent;
using KcryptPush.Contracts.Limits;

namespace KcryptPush.Registrar.Enrolment;

/// <summary>
/// Sliding one-minute window of events per TPM hash (default limit 10). In memory: a restart
/// resets it, which costs an attacker at most one window per restart. What the events are, and so
/// what the limit protects, is the enrolment service's choice (see
/// <see cref="EnrolmentService"/>, "Rate limits").
/// </summary>
public sealed class RegistrationRateLimiter
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    // Past this many TPM hashes, idle ones are dropped: a flood of made-up hashes must not grow
    // the map without bound.
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, SlidingWindowCounter> _recent = new(StringComparer.Ordinal);
    private readonly int _perMinute;
    private readonly TimeProvider _time;

    /// <summary>Creates the limiter.</summary>
    public RegistrationRateLimiter(int perMinute, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perMinute);
        _perMinute = perMinute;
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    /// <summary>The limit per minute.</summary>
    public int PerMinute => _perMinute;

    /// <summary>Counts one event for <paramref name="tpmHash"/>; false when over the limit (not counted then).</summary>
    public bool TryAcquire(string tpmHash) => Count(tpmHash, enforce: true);

    /// <summary>True when one more event for <paramref name="tpmHash"/> would be within the limit; counts nothing.</summary>
    public bool HasRoom(string tpmHash) =>
        !_recent.TryGetValue(tpmHash, out SlidingWindowCounter? count) || count.HasRoom(_time.GetUtcNow());

    /// <summary>Counts one event for <paramref name="tpmHash"/> whatever the limit (something that already happened).</summary>
    public void Record(string tpmHash) => Count(tpmHash, enforce: false);

    private bool Count(string tpmHash, bool enforce)
    {
        DateTimeOffset now = _time.GetUtcNow();
        SlidingWindowCounter count = _recent.GetOrAdd(tpmHash, static (_, limit) => new SlidingWindowCounter(limit, Window), _perMinute);
        if (enforce)
        {
            if (!count.TryAcquire(now))
            {
                return false;
            }
        }
        else
        {
            count.Record(now);
        }

        if (_recent.Count > PruneAbove)
        {
            Prune(now);
        }

        return true;
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (hash, count) in _recent)
        {
            if (count.IsIdle(now))
            {
                _recent.TryRemove(hash, out _);
            }
        }
    }
}
