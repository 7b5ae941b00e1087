namespace KcryptPush.Registrar.Enrolment;

/// <summary>
/// Sliding one-minute window of enrolment attempts across all TPM hashes
/// (<c>Registrar:GlobalRegistrationsPerMinute</c>, default 600). In memory; not thread-safe on its
/// own (the enrolment service calls it under its lock).
/// </summary>
public sealed class GlobalRegistrationLimiter
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Queue<DateTimeOffset> _recent = new();
    private readonly int _perMinute;
    private readonly TimeProvider _time;

    /// <summary>Creates the limiter.</summary>
    public GlobalRegistrationLimiter(int perMinute, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perMinute);
        _perMinute = perMinute;
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    /// <summary>The limit per minute.</summary>
    public int PerMinute => _perMinute;

    /// <summary>Counts one attempt; false when the last minute already had <see cref="PerMinute"/> (not counted then).</summary>
    public bool TryAcquire()
    {
        DateTimeOffset now = _time.GetUtcNow();
        while (_recent.Count > 0 && now - _recent.Peek() >= Window)
        {
            _recent.Dequeue();
        }

        if (_recent.Count >= _perMinute)
        {
            return false;
        }

        _recent.Enqueue(now);
        return true;
    }
}
