using KcryptPush.Agent.Cli;
using KcryptPush.Agent.Enrolment;
using KcryptPush.Agent.Hosting;

namespace KcryptPush.Agent.Tests.Enrolment;

/// <summary>Backoff, watchdog period and duration parsing of the agent.</summary>
[Trait("Category", "Unit")]
public sealed class AgentSupportTests
{
    [Fact]
    public void Backoff_doubles_from_the_minimum_up_to_the_cap_with_equal_jitter()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8), new Random(42));
        double[] steps = [1, 2, 4, 8, 8, 8];
        foreach (double step in steps)
        {
            double delay = backoff.Next().TotalSeconds;
            Assert.InRange(delay, step / 2, step);
        }

        backoff.Reset();
        Assert.InRange(backoff.Next().TotalSeconds, 0.5, 1);
    }

    [Fact]
    public void Backoff_steps_stop_at_a_shorter_cap_when_given_one_and_never_exceed_their_own()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), new Random(42));
        foreach (double step in new double[] { 1, 2, 4, 5, 5, 5 })
        {
            Assert.InRange(backoff.Next(TimeSpan.FromSeconds(5)).TotalSeconds, step / 2, step);
        }

        var shortMax = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), new Random(42));
        foreach (double step in new double[] { 1, 2, 2, 2 })
        {
            Assert.InRange(shortMax.Next(TimeSpan.FromSeconds(5)).TotalSeconds, step / 2, step);
        }
    }

    [Fact]
    public void Backoff_delays_are_jittered()
    {
        var a = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), new Random(1));
        var b = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), new Random(2));
        Assert.NotEqual(Enumerable.Range(0, 5).Select(_ => a.Next()), Enumerable.Range(0, 5).Select(_ => b.Next()));
    }

    [Theory]
    [InlineData("180000000", null, 10, 90.0)]
    [InlineData("180000000", "10", 10, 90.0)]
    [InlineData("180000000", "11", 10, null)]
    [InlineData("0", null, 10, null)]
    [InlineData(null, null, 10, null)]
    [InlineData("abc", null, 10, null)]
    public void The_watchdog_pings_at_half_of_WATCHDOG_USEC_for_this_process_only(string? usec, string? pid, int processId, double? expectedSeconds)
    {
        TimeSpan? period = WatchdogService.PeriodFrom(usec, pid, processId);
        Assert.Equal(expectedSeconds, period?.TotalSeconds);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("2m", 120)]
    [InlineData("1h", 3600)]
    [InlineData("500ms", 0.5)]
    [InlineData("45", 45)]
    public void Durations_are_read_as_the_command_line_contract_writes_them(string text, double seconds)
    {
        Assert.True(Duration.TryParse(text, out TimeSpan value));
        Assert.Equal(seconds, value.TotalSeconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-5s")]
    [InlineData("0")]
    [InlineData("soon")]
    public void Bad_durations_are_refused(string text) => Assert.False(Duration.TryParse(text, out _));

    [Theory]
    [InlineData("0x81018000", true)]
    [InlineData("81010002", true)]
    [InlineData("0x80000001", false)]
    [InlineData("zz", false)]
    public void The_AK_handle_must_be_persistent(string text, bool ok) => Assert.Equal(ok, AgentSettings.TryParseHandle(text, out _));
}
