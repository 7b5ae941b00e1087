namespace KcryptPush.Verifier.Verdicts;

/// <summary>
/// How long evidence waits in the verifier's own attestation queue before it is consumed: the
/// smallest lag (consume time minus the message's sent time) over the evidence consumed in the last
/// <see cref="Window"/>, zero when none was. <see cref="SilenceRule"/> counts silence only up to
/// "now minus this lag", so a quote still waiting in the verifier's backlog is not the node's silence.
/// </summary>
/// <remarks>
/// Why the minimum: a FIFO queue delays every message by about the same wait, so the least lag of
/// honest senders estimates it. A sender whose clock is slow (or who writes an old sent time) only
/// raises its own lag and cannot raise the minimum while anyone honest is consumed; a fast clock or a
/// sent time in the future gives a negative lag, counted as zero, which only lowers the minimum
/// (back to counting silence up to now, as without this). What a lone forger can still do, when
/// nothing else is consumed, is bounded by the cap in <see cref="SilenceRule"/>.
/// Evidence is bucketed by consume time in <see cref="Slots"/> slots of Window/Slots each, so
/// recording is O(1), allocates nothing and the window slides in slot steps.
/// </remarks>
public sealed class AttestationQueueLag
{
    /// <summary>How far back consumed evidence counts (default 5 s).</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(5);

    /// <summary>Slots the window is cut into.</summary>
    public const int Slots = 5;

    private readonly TimeProvider _time;
    private readonly long _slotTicks;
    private readonly long[] _slotIndex = new long[Slots];
    private readonly long[] _slotMinTicks = new long[Slots];
    private readonly Lock _gate = new();

    /// <summary>A tracker over <paramref name="window"/> (default <see cref="DefaultWindow"/>).</summary>
    public AttestationQueueLag(TimeProvider time, TimeSpan? window = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        TimeSpan w = window ?? DefaultWindow;
        ArgumentOutOfRangeException.ThrowIfLessThan(w, TimeSpan.FromMilliseconds(Slots));
        _time = time;
        _slotTicks = w.Ticks / Slots;
        Window = TimeSpan.FromTicks(_slotTicks * Slots);
        Array.Fill(_slotIndex, long.MinValue);
    }

    /// <summary>How far back consumed evidence counts.</summary>
    public TimeSpan Window { get; }

    /// <summary>The verifier's time now (UTC): a consumer reads it when a message arrives.</summary>
    public DateTime Now => _time.GetUtcNow().UtcDateTime;

    /// <summary>Records one consumed message: sent at <paramref name="sentAt"/> (the sender's clock), consumed at <paramref name="consumedAt"/> (ours).</summary>
    public void Consumed(DateTime sentAt, DateTime consumedAt)
    {
        long lag = Math.Max(0, Utc(consumedAt).Ticks - Utc(sentAt).Ticks);
        long index = Utc(consumedAt).Ticks / _slotTicks;
        int slot = (int)(index % Slots);
        lock (_gate)
        {
            if (_slotIndex[slot] == index)
            {
                _slotMinTicks[slot] = Math.Min(_slotMinTicks[slot], lag);
            }
            else if (_slotIndex[slot] < index)
            {
                // The slot's last use was a window or more ago: start it afresh.
                _slotIndex[slot] = index;
                _slotMinTicks[slot] = lag;
            }

            // else: recorded so late that its slot already holds newer evidence; too old to count.
        }
    }

    /// <summary>The least lag over the evidence consumed in the window ending at <paramref name="now"/>; zero when none was.</summary>
    public TimeSpan Current(DateTime now)
    {
        long newest = Utc(now).Ticks / _slotTicks;
        long least = long.MaxValue;
        lock (_gate)
        {
            for (int i = 0; i < Slots; i++)
            {
                if (_slotIndex[i] > newest - Slots && _slotIndex[i] <= newest)
                {
                    least = Math.Min(least, _slotMinTicks[i]);
                }
            }
        }

        return least == long.MaxValue ? TimeSpan.Zero : TimeSpan.FromTicks(least);
    }

    /// <summary>The least lag over the window ending now.</summary>
    public TimeSpan Current() => Current(Now);

    // MassTransit hands sent times as UTC; a local or unspecified kind is read as UTC, never shifted
    // by this machine's time zone (an unspecified kind would otherwise move the lag by hours).
    private static DateTime Utc(DateTime t) => t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : DateTime.SpecifyKind(t, DateTimeKind.Utc);
}
