using System.Collections.Concurrent;

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
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _recent = new(StringComparer.Ordinal);
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
    public bool HasRoom(string tpmHash)
    {
        if (!_recent.TryGetValue(tpmHash, out Queue<DateTimeOffset>? q))
        {
            return true;
        }

        DateTimeOffset now = _time.GetUtcNow();
        lock (q)
        {
            return q.Count(t => now - t < Window) < _perMinute;
        }
    }

    /// <summary>Counts one event for <paramref name="tpmHash"/> whatever the limit (something that already happened).</summary>
    public void Record(string tpmHash) => Count(tpmHash, enforce: false);

    private bool Count(string tpmHash, bool enforce)
    {
        DateTimeOffset now = _time.GetUtcNow();
        Queue<DateTimeOffset> q = _recent.GetOrAdd(tpmHash, _ => new Queue<DateTimeOffset>());
        lock (q)
        {
            while (q.Count > 0 && now - q.Peek() >= Window)
            {
                q.Dequeue();
            }

            if (enforce && q.Count >= _perMinute)
            {
                return false;
            }

            q.Enqueue(now);
        }

        if (_recent.Count > 10_000)
        {
            Prune(now);
        }

        return true;
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (hash, q) in _recent)
        {
            lock (q)
            {
                if (q.Count == 0 || now - q.Last() >= Window)
                {
                    _recent.TryRemove(hash, out _);
                }
            }
        }
    }
}
