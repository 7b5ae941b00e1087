namespace KcryptPush.Contracts.Limits;

/// <summary>
/// At most <see cref="Limit"/> events in any sliding <see cref="Window"/>: the one rate count behind
/// the registrar's enrolment limits and the verifier's per-node limits. An event at <c>t</c> counts
/// while <c>now - t &lt; Window</c> and is forgotten once <c>now - t &gt;= Window</c>, so with a
/// one-minute window an event frees its place exactly one minute later.
/// <para>
/// The caller passes the time (read from its <see cref="TimeProvider"/>), so the count reads no clock
/// and does no I/O; it is thread-safe. Memory: one timestamp per counted event still in the window,
/// at most <see cref="Limit"/> through <see cref="TryAcquire"/>; <see cref="Record"/> counts whatever
/// the limit, so it holds as many as were recorded in one window.
/// </para>
/// </summary>
public sealed class SlidingWindowCounter
{
    // UTC ticks, oldest first: what DateTimeOffset subtraction compares, in 8 bytes an event.
    private readonly Queue<long> _at = new();
    private readonly Lock _gate = new();
    private readonly long _windowTicks;
    private long _newest;

    /// <summary>Creates an empty count.</summary>
    /// <param name="limit">Events allowed per window; 0 or less refuses every <see cref="TryAcquire"/>
    /// (fails closed rather than throwing: callers validate their own settings).</param>
    /// <param name="window">The length of the sliding window; positive.</param>
    public SlidingWindowCounter(int limit, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        Limit = limit;
        Window = window;
        _windowTicks = window.Ticks;
    }

    /// <summary>Events allowed per window.</summary>
    public int Limit { get; }

    /// <summary>The length of the sliding window.</summary>
    public TimeSpan Window { get; }

    /// <summary>Counts one event at <paramref name="now"/>; false when the window already holds
    /// <see cref="Limit"/> (not counted then).</summary>
    public bool TryAcquire(DateTimeOffset now)
    {
        long t = now.UtcTicks;
        lock (_gate)
        {
            Expire(t);
            if (_at.Count >= Limit)
            {
                return false;
            }

            Add(t);
            return true;
        }
    }

    /// <summary>Counts one event at <paramref name="now"/> whatever the limit (something that already happened).</summary>
    public void Record(DateTimeOffset now)
    {
        long t = now.UtcTicks;
        lock (_gate)
        {
            Expire(t);
            Add(t);
        }
    }

    /// <summary>True when one more event at <paramref name="now"/> would be within the limit; counts
    /// and forgets nothing.</summary>
    public bool HasRoom(DateTimeOffset now)
    {
        long t = now.UtcTicks;
        lock (_gate)
        {
            // Every held event is looked at, not only a prefix: a clock stepped back leaves older
            // timestamps behind newer ones.
            int inWindow = 0;
            foreach (long at in _at)
            {
                if (t - at < _windowTicks)
                {
                    inWindow++;
                }
            }

            return inWindow < Limit;
        }
    }

    /// <summary>True when nothing was counted or the newest event has left the window at
    /// <paramref name="now"/>: the count can be dropped without changing any answer.</summary>
    public bool IsIdle(DateTimeOffset now)
    {
        long t = now.UtcTicks;
        lock (_gate)
        {
            return _at.Count == 0 || t - _newest >= _windowTicks;
        }
    }

    /// <summary>Timestamps held (counted events not yet forgotten); for tests and memory bounds.</summary>
    public int Held
    {
        get
        {
            lock (_gate)
            {
                return _at.Count;
            }
        }
    }

    private void Expire(long now)
    {
        while (_at.Count > 0 && now - _at.Peek() >= _windowTicks)
        {
            _at.Dequeue();
        }
    }

    private void Add(long now)
    {
        _at.Enqueue(now);
        _newest = now;
    }
}
