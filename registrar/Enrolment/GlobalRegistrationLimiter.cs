using KcryptPush.Contracts.Limits;

namespace KcryptPush.Registrar.Enrolment;

/// <summary>
/// Sliding one-minute window of enrolment attempts across all TPM hashes
/// (<c>Registrar:GlobalRegistrationsPerMinute</c>, default 600). In memory; the enrolment service
/// calls it under its lock, so that the check and what follows it are one step.
/// </summary>
public sealed class GlobalRegistrationLimiter
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly SlidingWindowCounter _recent;
    private readonly TimeProvider _time;

    /// <summary>Creates the limiter.</summary>
    public GlobalRegistrationLimiter(int perMinute, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perMinute);
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _recent = new SlidingWindowCounter(perMinute, Window);
    }

    /// <summary>The limit per minute.</summary>
    public int PerMinute => _recent.Limit;

    /// <summary>Counts one attempt; false when the last minute already had <see cref="PerMinute"/> (not counted then).</summary>
    public bool TryAcquire() => _recent.TryAcquire(_time.GetUtcNow());
}
