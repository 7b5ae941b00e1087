using KcryptPush.Verifier.Verdicts;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// The verifier's measure of its own backlog: the least (consume time - sent time) over the evidence
/// consumed in the last window, so honest senders set it and a slow or forged sender clock cannot raise it.
/// </summary>
[Trait("Category", "Unit")]
public sealed class AttestationQueueLagTests
{
    private static readonly DateTime T0 = new(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
    private readonly ManualTime _time = new(T0);

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Nothing_consumed_is_no_wait()
    {
        var lag = new AttestationQueueLag(_time);
        Assert.Equal(TimeSpan.Zero, lag.Current());
        Assert.Equal(S(5), lag.Window);
    }

    [Fact]
    public void The_wait_is_the_least_over_the_window()
    {
        var lag = new AttestationQueueLag(_time);
        lag.Consumed(T0 - S(3), T0);
        lag.Consumed(T0 + S(1) - S(1.5), T0 + S(1));
        lag.Consumed(T0 + S(2) - S(2), T0 + S(2));
        Assert.Equal(S(1.5), lag.Current(T0 + S(2)));
    }

    [Fact]
    public void Evidence_older_than_the_window_no_longer_counts_and_none_left_is_no_wait()
    {
        var lag = new AttestationQueueLag(_time);
        lag.Consumed(T0 - S(1), T0);                   // a 1 s wait at T0
        lag.Consumed(T0 + S(3) - S(4), T0 + S(3));     // a 4 s wait at T0 + 3
        Assert.Equal(S(1), lag.Current(T0 + S(4)));
        Assert.Equal(S(4), lag.Current(T0 + S(5)));    // T0's slot has left the window
        Assert.Equal(S(4), lag.Current(T0 + S(7.9)));
        Assert.Equal(TimeSpan.Zero, lag.Current(T0 + S(8)));   // the queue went quiet: no wait is known
    }

    [Fact]
    public void A_slot_reused_a_window_later_starts_afresh()
    {
        var lag = new AttestationQueueLag(_time);
        lag.Consumed(T0 - S(1), T0);
        lag.Consumed(T0 + S(5) - S(9), T0 + S(5));     // the same slot, one window later
        Assert.Equal(S(9), lag.Current(T0 + S(5)));
    }

    [Fact]
    public void A_record_so_late_that_its_slot_holds_newer_evidence_is_ignored()
    {
        var lag = new AttestationQueueLag(_time);
        lag.Consumed(T0 + S(5) - S(9), T0 + S(5));
        lag.Consumed(T0 - S(1), T0);                   // consumed a window earlier, recorded after
        Assert.Equal(S(9), lag.Current(T0 + S(5)));
    }

    [Fact]
    public void A_sent_time_in_the_future_is_no_wait_not_a_negative_one()
    {
        var lag = new AttestationQueueLag(_time);
        lag.Consumed(T0 + S(30), T0);                  // a sender's clock 30 s fast
        Assert.Equal(TimeSpan.Zero, lag.Current(T0));
    }

    [Fact]
    public void A_sender_with_an_old_sent_time_cannot_raise_the_wait_of_the_honest_ones()
    {
        var lag = new AttestationQueueLag(_time);
        lag.Consumed(T0 - S(2), T0);
        lag.Consumed(T0 - TimeSpan.FromHours(1), T0 + S(0.5));   // a slow clock, or a forger
        lag.Consumed(T0 - TimeSpan.FromDays(400), T0 + S(1));
        Assert.Equal(S(2), lag.Current(T0 + S(1)));
    }

    [Fact]
    public void A_forged_new_sent_time_can_only_lower_the_wait_to_none()
    {
        var lag = new AttestationQueueLag(_time);
        lag.Consumed(T0 - S(20), T0);
        lag.Consumed(T0 + TimeSpan.FromDays(1), T0 + S(0.1));
        Assert.Equal(TimeSpan.Zero, lag.Current(T0 + S(1)));
    }

    [Fact]
    public void Sent_times_of_unspecified_kind_are_read_as_utc_and_local_ones_are_converted()
    {
        var lag = new AttestationQueueLag(_time);
        lag.Consumed(DateTime.SpecifyKind(T0 - S(7), DateTimeKind.Unspecified), T0);
        Assert.Equal(S(7), lag.Current(T0));

        var other = new AttestationQueueLag(_time);
        other.Consumed((T0 - S(3)).ToLocalTime(), T0);
        Assert.Equal(S(3), other.Current(T0));
    }

    [Fact]
    public void Now_is_the_given_clock()
    {
        var lag = new AttestationQueueLag(_time, S(10));
        _time.Advance(S(12));
        Assert.Equal(T0 + S(12), lag.Now);
        Assert.Equal(S(10), lag.Window);
        lag.Consumed(lag.Now - S(6), lag.Now);
        _time.Advance(S(9));
        Assert.Equal(S(6), lag.Current());   // a 10 s window still holds it
    }
}
