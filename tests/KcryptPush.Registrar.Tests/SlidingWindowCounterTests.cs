using KcryptPush.Contracts.Limits;

namespace KcryptPush.Registrar.Tests;

/// <summary>
/// The one sliding-window count behind the registrar's enrolment limits and the verifier's per-node
/// limits: window edges, expiry, what is held, threads, and agreement with the three counts it
/// replaced (kept below as reference models, written as they were).
/// </summary>
[Trait("Category", "Unit")]
public sealed class SlidingWindowCounterTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    [Fact]
    public void The_limit_is_reached_exactly_and_an_event_frees_its_place_exactly_one_window_later()
    {
        var c = new SlidingWindowCounter(3, Minute);
        Assert.True(c.TryAcquire(T0));
        Assert.True(c.TryAcquire(T0));
        Assert.True(c.TryAcquire(T0));
        Assert.False(c.TryAcquire(T0));

        Assert.False(c.TryAcquire(T0 + Minute - Tick));
        Assert.True(c.TryAcquire(T0 + Minute));
        Assert.True(c.TryAcquire(T0 + Minute));
        Assert.True(c.TryAcquire(T0 + Minute));
        Assert.False(c.TryAcquire(T0 + Minute));
    }

    [Fact]
    public void Events_expire_one_by_one_as_the_window_slides()
    {
        var c = new SlidingWindowCounter(3, Minute);
        Assert.True(c.TryAcquire(T0));
        Assert.True(c.TryAcquire(T0.AddSeconds(20)));
        Assert.True(c.TryAcquire(T0.AddSeconds(40)));

        Assert.False(c.TryAcquire(T0.AddSeconds(59)));
        Assert.True(c.TryAcquire(T0.AddSeconds(60)));
        Assert.False(c.TryAcquire(T0.AddSeconds(79)));
        Assert.True(c.TryAcquire(T0.AddSeconds(80)));
        Assert.False(c.TryAcquire(T0.AddSeconds(80)));
        Assert.Equal(3, c.Held);
    }

    [Fact]
    public void Refused_attempts_count_for_nothing_so_a_flood_does_not_extend_the_block()
    {
        var c = new SlidingWindowCounter(2, Minute);
        Assert.True(c.TryAcquire(T0));
        Assert.True(c.TryAcquire(T0));
        for (int s = 0; s < 60; s++)
        {
            Assert.False(c.TryAcquire(T0.AddSeconds(s)));
        }

        Assert.Equal(2, c.Held);
        Assert.True(c.TryAcquire(T0 + Minute));
    }

    [Fact]
    public void Through_TryAcquire_at_most_the_limit_is_held_however_long_it_runs()
    {
        var c = new SlidingWindowCounter(5, Minute);
        for (int i = 0; i < 10_000; i++)
        {
            c.TryAcquire(T0.AddMilliseconds(i * 100));
            Assert.True(c.Held <= 5, $"{c.Held} held after {i + 1} attempts");
        }

        Assert.Equal(5, c.Held);
    }

    [Fact]
    public void Record_counts_past_the_limit_and_HasRoom_answers_without_counting_or_forgetting()
    {
        var c = new SlidingWindowCounter(2, Minute);
        c.Record(T0);
        c.Record(T0);
        c.Record(T0.AddSeconds(30));
        Assert.Equal(3, c.Held);
        Assert.False(c.TryAcquire(T0.AddSeconds(30)));

        Assert.False(c.HasRoom(T0 + Minute - Tick));
        Assert.True(c.HasRoom(T0 + Minute)); // the two at T0 have left; the one at +30 s remains
        Assert.Equal(3, c.Held);
        Assert.True(c.TryAcquire(T0 + Minute));
        Assert.Equal(2, c.Held);
        Assert.False(c.HasRoom(T0 + Minute));
    }

    [Fact]
    public void HasRoom_looks_at_the_window_edge_exactly_as_TryAcquire_does()
    {
        var c = new SlidingWindowCounter(1, Minute);
        Assert.True(c.HasRoom(T0));
        c.Record(T0);
        Assert.False(c.HasRoom(T0));
        Assert.False(c.HasRoom(T0 + Minute - Tick));
        Assert.True(c.HasRoom(T0 + Minute));
        Assert.Equal(1, c.Held);
        Assert.False(c.TryAcquire(T0 + Minute - Tick));
        Assert.True(c.TryAcquire(T0 + Minute));
    }

    [Fact]
    public void A_count_is_idle_when_empty_or_when_its_newest_event_has_left_the_window()
    {
        var c = new SlidingWindowCounter(3, Minute);
        Assert.True(c.IsIdle(T0));
        c.Record(T0);
        c.Record(T0.AddSeconds(10));
        Assert.False(c.IsIdle(T0.AddSeconds(69) - Tick));
        Assert.False(c.IsIdle(T0.AddSeconds(70) - Tick));
        Assert.True(c.IsIdle(T0.AddSeconds(70)));
    }

    [Fact]
    public void Instants_are_compared_in_UTC_whatever_the_offset_they_are_given_in()
    {
        var c = new SlidingWindowCounter(1, Minute);
        Assert.True(c.TryAcquire(T0));
        DateTimeOffset sameInstantElsewhere = T0.ToOffset(TimeSpan.FromHours(5)).AddSeconds(59);
        Assert.False(c.TryAcquire(sameInstantElsewhere));
        Assert.True(c.TryAcquire(T0.ToOffset(TimeSpan.FromHours(-8)) + Minute));
    }

    [Fact]
    public void A_limit_of_zero_or_less_refuses_everything_and_a_window_must_be_positive()
    {
        Assert.False(new SlidingWindowCounter(0, Minute).TryAcquire(T0));
        Assert.False(new SlidingWindowCounter(-1, Minute).TryAcquire(T0));
        Assert.False(new SlidingWindowCounter(0, Minute).HasRoom(T0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SlidingWindowCounter(1, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SlidingWindowCounter(1, -Minute));
    }

    [Fact]
    public async Task Threads_racing_at_one_instant_get_exactly_the_limit_between_them()
    {
        // Many fresh counts, so that the race on the first places comes up again and again.
        const int threads = 4, rounds = 2_000, limit = 20, each = 40;
        var counters = Enumerable.Range(0, rounds).Select(_ => new SlidingWindowCounter(limit, Minute)).ToArray();
        int[] granted = new int[rounds];
        await RunTogether(threads, rounds, round =>
        {
            for (int i = 0; i < each; i++)
            {
                if (counters[round].TryAcquire(T0))
                {
                    Interlocked.Increment(ref granted[round]);
                }
            }
        });

        Assert.All(granted, g => Assert.Equal(limit, g));
        Assert.All(counters, c => Assert.Equal(limit, c.Held));
    }

    [Fact]
    public async Task Threads_window_after_window_get_the_limit_in_each_and_recorded_events_are_all_held()
    {
        // All threads use one instant per window (a barrier between windows), so the answer does not
        // depend on the interleaving: exactly the limit is granted in each window, and every event
        // recorded in the last window is held (none lost to a race on the queue).
        const int threads = 4, windows = 200, tries = 300, records = 300, limit = 100;
        var limited = new SlidingWindowCounter(limit, Minute);
        var recorded = new SlidingWindowCounter(limit, Minute);
        int[] granted = new int[windows];
        await RunTogether(threads, windows, w =>
        {
            DateTimeOffset now = T0 + (w * Minute);
            for (int i = 0; i < Math.Max(tries, records); i++)
            {
                if (i < tries && limited.TryAcquire(now))
                {
                    Interlocked.Increment(ref granted[w]);
                }

                if (i < records)
                {
                    recorded.Record(now);
                }
            }
        });

        Assert.All(granted, g => Assert.Equal(limit, g));
        Assert.Equal(threads * records, recorded.Held);
        Assert.Equal(limit, limited.Held);
    }

    // Runs `step(round)` on every thread, round after round, all threads starting a round together.
    // A thread that throws leaves the barrier, so the others finish instead of waiting for it.
    private static async Task RunTogether(int threads, int rounds, Action<int> step)
    {
        using var barrier = new Barrier(threads);
        Task[] tasks = Enumerable.Range(0, threads).Select(_ => Task.Factory.StartNew(() =>
        {
            try
            {
                for (int r = 0; r < rounds; r++)
                {
                    barrier.SignalAndWait();
                    step(r);
                }
            }
            finally
            {
                barrier.RemoveParticipant();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(2));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void Every_answer_agrees_with_the_three_counts_it_replaced(int seed)
    {
        // Random steps of 0 to 70 s, with exact window multiples and clocks stepped back, so that
        // edges, expiry and out-of-order timestamps all come up.
        var random = new Random(seed);
        const int limit = 4;
        var counter = new SlidingWindowCounter(limit, Minute);
        var global = new OldGlobalLimiter(limit);
        var perHash = new OldPerHashQueue(limit);
        var verifier = new OldVerifierSlidingCount();
        var verifierCounter = new SlidingWindowCounter(limit, Minute);
        var recordingCounter = new SlidingWindowCounter(limit, Minute);
        DateTimeOffset now = T0;
        for (int i = 0; i < 5_000; i++)
        {
            now += random.Next(10) switch
            {
                0 => Minute,
                1 => TimeSpan.Zero,
                2 => -TimeSpan.FromSeconds(random.Next(1, 90)),
                3 => Minute - Tick,
                _ => TimeSpan.FromMilliseconds(random.Next(0, 70_000)),
            };

            Assert.Equal(global.TryAcquire(now), counter.TryAcquire(now));
            DateTime utc = now.UtcDateTime;
            Assert.Equal(verifier.TryTake(utc, limit), verifierCounter.TryAcquire(new DateTimeOffset(utc.Ticks, TimeSpan.Zero)));

            // The registrar's per-hash path: HasRoom before, then Record or TryAcquire.
            Assert.Equal(perHash.HasRoom(now), recordingCounter.HasRoom(now));
            Assert.Equal(perHash.IsIdle(now), recordingCounter.IsIdle(now));
            if (random.Next(3) == 0)
            {
                perHash.Count(now, enforce: false);
                recordingCounter.Record(now);
            }
            else
            {
                Assert.Equal(perHash.Count(now, enforce: true), recordingCounter.TryAcquire(now));
            }

            Assert.Equal(global.Held, counter.Held);
            Assert.Equal(perHash.Held, recordingCounter.Held);
            Assert.Equal(verifier.Held, verifierCounter.Held);
        }
    }

    // GlobalRegistrationLimiter.TryAcquire before the shared count.
    private sealed class OldGlobalLimiter(int perMinute)
    {
        private readonly Queue<DateTimeOffset> _recent = new();

        public int Held => _recent.Count;

        public bool TryAcquire(DateTimeOffset now)
        {
            while (_recent.Count > 0 && now - _recent.Peek() >= Minute)
            {
                _recent.Dequeue();
            }

            if (_recent.Count >= perMinute)
            {
                return false;
            }

            _recent.Enqueue(now);
            return true;
        }
    }

    // One TPM hash's queue in RegistrationRateLimiter before the shared count (Count, HasRoom and
    // the idle test of Prune).
    private sealed class OldPerHashQueue(int perMinute)
    {
        private readonly Queue<DateTimeOffset> _q = new();

        public int Held => _q.Count;

        public bool HasRoom(DateTimeOffset now) => _q.Count(t => now - t < Minute) < perMinute;

        public bool IsIdle(DateTimeOffset now) => _q.Count == 0 || now - _q.Last() >= Minute;

        public bool Count(DateTimeOffset now, bool enforce)
        {
            while (_q.Count > 0 && now - _q.Peek() >= Minute)
            {
                _q.Dequeue();
            }

            if (enforce && _q.Count >= perMinute)
            {
                return false;
            }

            _q.Enqueue(now);
            return true;
        }
    }

    // NodeRateLimiter.SlidingCount before the shared count.
    private sealed class OldVerifierSlidingCount
    {
        private readonly Queue<DateTime> _at = new();

        public int Held => _at.Count;

        public bool TryTake(DateTime now, int limit)
        {
            while (_at.Count > 0 && _at.Peek() <= now - Minute)
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
