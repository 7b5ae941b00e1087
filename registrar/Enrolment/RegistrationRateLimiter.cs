using System.Collections.Concurrent;

namespace KcryptPush.Registrar.Enrolment;

/// <summary>
/// Sliding-window limit of registrations per TPM hash (default 10 a minute). In memory: a restart
/// resets it, which costs an attacker at most one window per restart.
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

    /// <summary>Counts one registration for <paramref name="tpmHash"/>; false when over the limit (not counted then).</summary>
    public bool TryAcquire(string tpmHash)
    {
        DateTimeOffset now = _time.GetUtcNow();
        Queue<DateTimeOffset> q = _recent.GetOrAdd(tpmHash, _ => new Queue<DateTimeOffset>());
        lock (q)
        {
            while (q.Count > 0 && now - q.Peek() >= Window)
            {
                q.Dequeue();
            }

            if (q.Count >= _perMinute)
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
