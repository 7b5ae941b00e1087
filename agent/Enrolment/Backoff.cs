namespace KcryptPush.Agent.Enrolment;

/// <summary>
/// Capped exponential backoff with "equal jitter": the n-th delay is d/2 + U(0, d/2) with
/// d = min(max, min·2ⁿ), so agents that lost the broker together do not come back in lock step,
/// and no delay is shorter than half its step.
/// </summary>
public sealed class Backoff
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly Random _random;
    private int _attempt;

    /// <summary>Creates a backoff from <paramref name="min"/> doubling up to <paramref name="max"/>.</summary>
    public Backoff(TimeSpan min, TimeSpan max, Random? random = null)
    {
        if (min <= TimeSpan.Zero || max < min)
        {
            throw new ArgumentOutOfRangeException(nameof(min), "need 0 < min <= max");
        }

        _min = min;
        _max = max;
        _random = random ?? Random.Shared;
    }

    /// <summary>Failures since the last <see cref="Reset"/>.</summary>
    public int Attempt => _attempt;

    /// <summary>The next delay (and counts the attempt), its step capped at <paramref name="cap"/> when that is
    /// shorter than the backoff's own maximum (a broker that is merely away: Agent:BrokerRetryMaxDelay).</summary>
    public TimeSpan Next(TimeSpan? cap = null)
    {
        double max = cap is { } c && c > TimeSpan.Zero && c < _max ? c.TotalMilliseconds : _max.TotalMilliseconds;
        double step = Math.Min(max, _min.TotalMilliseconds * Math.Pow(2, Math.Min(_attempt, 30)));
        _attempt++;
        return TimeSpan.FromMilliseconds((step / 2) + (_random.NextDouble() * step / 2));
    }

    /// <summary>After progress: the next failure waits the shortest step again.</summary>
    public void Reset() => _attempt = 0;
}
