using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Hosting;
using KcryptPush.Verifier.Store;
using KcryptPush.Verifier.Verdicts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// Evidence waiting in the verifier's own queue is not the node's silence: silence counts only up to
/// now minus the queue's wait (<see cref="AttestationQueueLag"/>), taking off at most one threshold.
/// Seen in CI before this: 38 NodeSilent for Pending nodes whose first quotes waited in an overloaded
/// verifier's queue past the threshold.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SilenceBacklogTests : IDisposable
{
    // Interval 10 s, silent after 5: a threshold of 50 s.
    private static readonly TimeSpan Threshold = TimeSpan.FromSeconds(50);
    private readonly PipelineHarness _h = new(new VerifierOptions { Interval = TimeSpan.FromSeconds(10), SilentIntervals = 5 });
    private readonly AttestationQueueLag _lag;

    public SilenceBacklogTests() => _lag = new AttestationQueueLag(_h.Time);

    public void Dispose() => _h.Dispose();

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Theory]
    // last heard, now, queue wait, silent?  (seconds; threshold 50, always connected)
    [InlineData(0, 50, 0, true)]             // no wait: as before
    [InlineData(0, 59, 10, false)]           // heard up to 49 s
    [InlineData(0, 60, 10, true)]
    [InlineData(0, 60, -30, true)]           // a negative wait counts as none
    [InlineData(0, 99, 1000, false)]         // a wait past the threshold takes off one threshold only
    [InlineData(0, 100, 1000, true)]
    public void The_rule_counts_up_to_now_minus_the_wait_capped_at_the_threshold(int lastHeard, int now, int wait, bool silent)
    {
        DateTime t0 = new(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
        Assert.Equal(silent, SilenceRule.IsSilent(t0.AddSeconds(now), t0.AddSeconds(lastHeard), DateTime.MinValue, Threshold, S(wait)));
    }

    [Fact]
    public void The_wait_and_a_reconnection_both_hold_the_count_back()
    {
        DateTime t0 = new(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
        // Reconnected at 40, a 10 s wait: counts from 40 up to now - 10.
        Assert.False(SilenceRule.IsSilent(t0.AddSeconds(99), t0, t0.AddSeconds(40), Threshold, S(10)));
        Assert.True(SilenceRule.IsSilent(t0.AddSeconds(100), t0, t0.AddSeconds(40), Threshold, S(10)));
        Assert.False(SilenceRule.IsSilent(t0.AddSeconds(1000), t0, null, Threshold, S(10)));
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(0, 0)]
    [InlineData(20, 20)]
    [InlineData(50, 50)]
    [InlineData(51, 50)]
    public void The_allowance_is_the_wait_between_zero_and_the_threshold(int wait, int allowance) =>
        Assert.Equal(S(allowance), SilenceRule.BacklogAllowance(S(wait), Threshold));

    [Fact]
    public void A_node_whose_quote_waits_in_the_verifiers_backlog_is_not_reported()
    {
        var detector = new SilenceDetector(_h.Store, _h.Options, _h.Time, BrokerConnectionClock.Up(_h.Now), _lag);
        _h.Attest();

        // The verifier falls 20 s behind: its node sends again at 40 s, and that quote is consumed at 60 s.
        _h.Time.Advance(S(55));
        Consumed(wait: S(20));   // other nodes' quotes, consumed just now after waiting 20 s
        Assert.Empty(detector.Scan());   // 55 s since the last evidence, but heard only up to 35 s
        _h.Time.Advance(S(5));
        Consumed(wait: S(20));
        _h.Attest(withLog: false);
        Assert.Empty(detector.Scan());
        Assert.Equal(NodeStates.Trusted, _h.Record.State);
        Assert.DoesNotContain(_h.Record.PendingVerdicts ?? [], v => v.Type == nameof(NodeSilent));
    }

    [Fact]
    public void A_node_enrolled_while_the_verifier_is_behind_is_not_reported_from_pending()
    {
        var detector = new SilenceDetector(_h.Store, _h.Options, _h.Time, BrokerConnectionClock.Up(_h.Now), _lag);

        // Enrolled at 0; its challenge request and its first quote each wait 25 s in the queue.
        _h.Time.Advance(S(52));
        Consumed(wait: S(25));
        Assert.Empty(detector.Scan());
        Assert.Null(_h.Store.Find(_h.TpmHash));   // still Pending: no record yet
        _h.Attest();
        Assert.Equal(NodeStates.Trusted, _h.Record.State);
        Assert.Empty(detector.Scan());
    }

    [Fact]
    public void A_node_that_truly_went_quiet_is_reported_once_the_backlogs_allowance_has_passed()
    {
        var detector = new SilenceDetector(_h.Store, _h.Options, _h.Time, BrokerConnectionClock.Up(_h.Now), _lag);
        _h.Attest();
        DateTime lastEvidence = _h.Now;

        _h.Time.Advance(Threshold + S(20) - S(1));
        Consumed(wait: S(20));
        Assert.Empty(detector.Scan());
        _h.Time.Advance(S(1));
        Consumed(wait: S(20));
        NodeSilent silent = Assert.Single(detector.Scan());
        Assert.Equal(_h.TpmHash, silent.TpmHash);
        Assert.Equal(lastEvidence, silent.LastSeen!.Value.UtcDateTime);
        Assert.Equal(NodeStates.Silent, _h.Record.State);
        Consumed(wait: S(20));
        Assert.Empty(detector.Scan());   // once
    }

    [Fact]
    public void A_stuck_verifier_reports_a_quiet_node_at_most_one_threshold_late()
    {
        var detector = new SilenceDetector(_h.Store, _h.Options, _h.Time, BrokerConnectionClock.Up(_h.Now), _lag);
        _h.Attest();

        _h.Time.Advance(2 * Threshold - S(1));
        Consumed(wait: TimeSpan.FromHours(1));   // an hour behind (or a sender forging old sent times)
        Assert.Empty(detector.Scan());
        _h.Time.Advance(S(1));
        Consumed(wait: TimeSpan.FromHours(1));
        Assert.Single(detector.Scan());
    }

    [Fact]
    public void Once_the_backlog_is_gone_silence_counts_up_to_now_again()
    {
        var detector = new SilenceDetector(_h.Store, _h.Options, _h.Time, BrokerConnectionClock.Up(_h.Now), _lag);
        _h.Attest();

        _h.Time.Advance(S(10));
        Consumed(wait: S(30));   // a burst that waited 30 s, then nothing for more than the window
        _h.Time.Advance(Threshold - S(10));
        Assert.Single(detector.Scan());
    }

    [Fact]
    public void Without_a_lag_tracker_the_detector_counts_up_to_now()
    {
        var detector = new SilenceDetector(_h.Store, _h.Options, _h.Time, BrokerConnectionClock.Up(_h.Now));
        _h.Attest();
        _h.Time.Advance(Threshold);
        Assert.Single(detector.Scan());
    }

    [Fact]
    public void The_verifier_host_gives_the_detector_the_same_tracker_its_consumers_feed()
    {
        string dir = Directory.CreateTempSubdirectory("kcrypt-silence-backlog-host-").FullName;
        try
        {
            using IHost host = VerifierHost.Build(
                [
                    KeyValuePair.Create<string, string?>("Verifier:Db", Path.Combine(dir, "verifier.db")),
                    KeyValuePair.Create<string, string?>("Broker:Uri", "amqp://guest:guest@127.0.0.1:1/"),
                ],
                new Dictionary<string, string?>());
            IServiceProvider s = host.Services;
            VerifierOptions options = s.GetRequiredService<VerifierOptions>();
            TimeSpan threshold = options.SilentIntervals * options.Interval;

            // A node enrolled 1.25 thresholds ago, a verifier connected since then and half a threshold behind.
            DateTime now = DateTime.UtcNow;
            DateTime enrolled = now - 1.25 * threshold;
            new TestNodes(s.GetRequiredService<IVerifierStore>()).Apply(
                new NodeEnrolled(_h.TpmHash, _h.EkPublic.ToArray(), _h.AkPublic, _h.AkName, "node-behind", enrolled), enrolled);
            s.GetRequiredService<BrokerConnectionClock>().Connected(enrolled);
            AttestationQueueLag lag = s.GetRequiredService<AttestationQueueLag>();
            lag.Consumed(lag.Now - threshold / 2, lag.Now);
            Assert.Empty(s.GetRequiredService<SilenceDetector>().Scan());

            // The same node for a detector that does not know the wait: silent.
            Assert.Single(new SilenceDetector(s.GetRequiredService<IVerifierStore>(), options, TimeProvider.System, s.GetRequiredService<BrokerConnectionClock>()).Scan());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_wait_of_an_interval_or_more_is_logged_as_a_warning_with_the_wait()
    {
        var log = new Lines();
        var detector = new SilenceDetector(_h.Store, _h.Options, _h.Time, BrokerConnectionClock.Up(_h.Now), _lag, log);
        Consumed(wait: S(9.9));
        Assert.Empty(detector.Scan());
        Assert.Empty(log.Entries);

        _h.Time.Advance(_lag.Window);   // the 9.9 s wait has left the window
        Consumed(wait: S(75));
        Assert.Empty(detector.Scan());
        (LogLevel level, string text) = Assert.Single(log.Entries);
        Assert.Equal(LogLevel.Warning, level);
        Assert.Contains("75.0 s", text, StringComparison.Ordinal);   // the wait
        Assert.Contains("50.0 s ago", text, StringComparison.Ordinal);   // what is taken off: capped at the threshold
    }

    // Quotes of other nodes consumed now, after waiting in the queue for `wait`.
    private void Consumed(TimeSpan wait) => _lag.Consumed(_h.Now - wait, _h.Now);

    private sealed class Lines : ILogger<SilenceDetector>
    {
        public List<(LogLevel Level, string Text)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
