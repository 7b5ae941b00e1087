using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Hosting;
using KcryptPush.Verifier.Store;
using KcryptPush.Verifier.Verdicts;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// Silence the verifier could not have heard is not the node's fault (issue 10, item 4): the silence
/// clock pauses while the verifier is not connected to the broker, and starts again (a full threshold)
/// when the connection comes back or the verifier starts.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SilenceClockTests : IDisposable
{
    // Interval 10 s, silent after 5: a threshold of 50 s.
    private static readonly TimeSpan Threshold = TimeSpan.FromSeconds(50);
    private readonly PipelineHarness _h = new(new VerifierOptions { Interval = TimeSpan.FromSeconds(10), SilentIntervals = 5 });

    public void Dispose() => _h.Dispose();

    [Theory]
    // last heard, connected since (null: down), now, silent?  (seconds from a common origin)
    [InlineData(0, 0, 49, false)]
    [InlineData(0, 0, 50, true)]            // exactly the threshold counts, as before
    [InlineData(0, null, 1000, false)]      // never while disconnected
    [InlineData(0, 40, 89, false)]          // reconnected at 40: counts from 40
    [InlineData(0, 40, 90, true)]
    [InlineData(60, 40, 109, false)]        // evidence after the reconnection: counts from the evidence
    [InlineData(60, 40, 110, true)]
    [InlineData(0, 200, 150, false)]        // a connection "later" than now (clock read out of order): not silent
    public void The_rule_counts_from_the_later_of_last_evidence_and_reconnection(int lastHeard, int? connectedSince, int now, bool silent)
    {
        DateTime t0 = new(2025, 6, 1, 12, 0, 0, DateTimeKind.Utc);
        DateTime? up = connectedSince is { } c ? t0.AddSeconds(c) : null;
        Assert.Equal(silent, SilenceRule.IsSilent(t0.AddSeconds(now), t0.AddSeconds(lastHeard), up, Threshold));
    }

    [Fact]
    public void No_node_is_reported_silent_while_the_broker_is_disconnected()
    {
        BrokerConnectionClock clock = BrokerConnectionClock.Up(_h.Now);
        var detector = new SilenceDetector(_h.Store, _h.Options, _h.Time, clock);
        _h.Attest();

        _h.Time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(clock.Disconnected());
        _h.Time.Advance(TimeSpan.FromMinutes(10));   // far past the threshold
        Assert.Empty(detector.Scan());
        Assert.Equal(NodeStates.Trusted, _h.Record.State);
        Assert.DoesNotContain(_h.Record.PendingVerdicts ?? [], v => v.Type == nameof(NodeSilent));   // nothing staged for the outbox either
    }

    [Fact]
    public void After_reconnection_a_full_threshold_must_pass_and_a_node_that_stays_quiet_is_reported_once()
    {
        BrokerConnectionClock clock = BrokerConnectionClock.Up(_h.Now);
        var detector = new SilenceDetector(_h.Store, _h.Options, _h.Time, clock);
        _h.Attest();
        DateTime lastEvidence = _h.Now;

        // A 30 s outage that begins 20 s after the node's last evidence.
        _h.Time.Advance(TimeSpan.FromSeconds(20));
        clock.Disconnected();
        _h.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(detector.Scan());
        Assert.True(clock.Connected(_h.Now));
        DateTime back = _h.Now;

        // 50 s since the last evidence, but the verifier heard nothing for 0 s of that: not silent.
        Assert.Empty(detector.Scan());
        _h.Time.Advance(Threshold - TimeSpan.FromSeconds(1));
        Assert.Empty(detector.Scan());

        // The node really stays quiet: a full threshold after reconnection it is silent, once.
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        NodeSilent silent = Assert.Single(detector.Scan());
        Assert.Equal(_h.TpmHash, silent.TpmHash);
        Assert.Equal(NodeStates.Trusted, silent.PreviousState);
        Assert.Equal(lastEvidence, silent.LastSeen!.Value.UtcDateTime);
        Assert.Equal((int)((_h.Now - lastEvidence) / _h.Options.Interval), silent.Intervals);   // quiet since its evidence: 10 intervals
        Assert.Equal(back + Threshold, _h.Now);
        Assert.Equal(NodeStates.Silent, _h.Record.State);
        Assert.Single(_h.Record.PendingVerdicts!, v => v.Type == nameof(NodeSilent));   // staged for the outbox with the state change
        Assert.Empty(detector.Scan());

        // A second outage and reconnection do not report it again.
        clock.Disconnected();
        clock.Connected(_h.Now);
        _h.Time.Advance(Threshold * 2);
        Assert.Empty(detector.Scan());
    }

    [Fact]
    public void A_node_that_attests_after_reconnection_is_not_silent()
    {
        BrokerConnectionClock clock = BrokerConnectionClock.Up(_h.Now);
        var detector = new SilenceDetector(_h.Store, _h.Options, _h.Time, clock);
        _h.Attest();
        clock.Disconnected();
        _h.Time.Advance(TimeSpan.FromSeconds(40));
        clock.Connected(_h.Now);
        _h.Time.Advance(TimeSpan.FromSeconds(5));
        _h.Attest(withLog: false);

        // 49 s after that evidence (94 s after the first): still not silent.
        _h.Time.Advance(TimeSpan.FromSeconds(49));
        Assert.Empty(detector.Scan());
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Single(detector.Scan());
    }

    [Fact]
    public void A_verifier_restart_does_not_report_nodes_silent_at_once()
    {
        _h.Attest();

        // The verifier was away for an hour; its store says the node's last evidence is an hour old.
        _h.Time.Advance(TimeSpan.FromHours(1));
        _h.Restart();
        var clock = new BrokerConnectionClock();   // a new process: down until the bus consumes
        var detector = new SilenceDetector(_h.Store, _h.Options, _h.Time, clock);
        Assert.Null(clock.ConnectedSince);
        Assert.Empty(detector.Scan());

        _h.Time.Advance(TimeSpan.FromSeconds(3));   // connecting takes a while
        Assert.Empty(detector.Scan());
        clock.Connected(_h.Now);
        Assert.Equal(_h.Now, clock.CountsFrom);   // the first connection: the nodes were connected, no settle time
        Assert.Empty(detector.Scan());
        _h.Time.Advance(Threshold - TimeSpan.FromSeconds(1));
        Assert.Empty(detector.Scan());
        Assert.Equal(NodeStates.Trusted, _h.Record.State);

        _h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Single(detector.Scan());
    }

    [Fact]
    public void After_an_outage_the_nodes_get_the_settle_time_to_reconnect_before_silence_counts()
    {
        var clock = new BrokerConnectionClock();
        Assert.Equal(TimeSpan.FromSeconds(15), clock.Settle);
        clock.Connected(_h.Now);
        var detector = new SilenceDetector(_h.Store, _h.Options, _h.Time, clock);
        _h.Attest();
        clock.Disconnected();
        _h.Time.Advance(TimeSpan.FromSeconds(40));
        clock.Connected(_h.Now);
        Assert.Equal(_h.Now + clock.Settle, clock.CountsFrom);

        // An agent heard again just before settle time plus threshold after the verifier reconnected is not silent.
        _h.Time.Advance(clock.Settle + Threshold - TimeSpan.FromSeconds(1));
        Assert.Empty(detector.Scan());
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Single(detector.Scan());
    }

    [Fact]
    public void A_node_enrolled_but_never_heard_counts_from_the_reconnection_too()
    {
        string other = new('b', 64);
        _h.Enrol(other, _h.AkName);
        var clock = new BrokerConnectionClock { Settle = TimeSpan.Zero };
        var detector = new SilenceDetector(_h.Store, _h.Options, _h.Time, clock);
        _h.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty(detector.Scan());
        clock.Connected(_h.Now);
        _h.Time.Advance(Threshold);
        Assert.Equal(new[] { _h.TpmHash, other }.Order(StringComparer.Ordinal), detector.Scan().Select(s => s.TpmHash).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_clock_keeps_the_first_up_and_counts_outages()
    {
        var clock = new BrokerConnectionClock();
        DateTime t = _h.Now;
        Assert.False(clock.Disconnected());   // down already: no change
        Assert.True(clock.Connected(t));
        Assert.Equal(t, clock.CountsFrom);   // first connection: no settle time
        Assert.False(clock.Connected(t.AddSeconds(5)));   // a second endpoint's "ready" does not move it
        Assert.Equal(t, clock.ConnectedSince);
        Assert.True(clock.Disconnected());
        Assert.Null(clock.ConnectedSince);
        Assert.True(clock.Connected(t.AddSeconds(9)));
        Assert.Equal((t.AddSeconds(9), 1), (clock.ConnectedSince!.Value, clock.Outages));
        Assert.Equal(t.AddSeconds(9) + BrokerConnectionClock.DefaultSettle, clock.CountsFrom);
        clock.Disconnected();
        Assert.Null(clock.CountsFrom);
    }

    [Fact]
    public async Task The_observer_moves_the_clock_on_the_attestation_queue_only()
    {
        var clock = new BrokerConnectionClock();
        var observer = new BrokerConnectionObserver(clock, _h.Time, NullLogger<BrokerConnectionObserver>.Instance);
        Uri attestation = new($"rabbitmq://127.0.0.1:5672/{KcryptPushQueues.VerifierAttestation}");
        Uri enrolment = new("rabbitmq://127.0.0.1:5672/kcrypt-push-verifier-enrolment");

        await observer.Ready(new Event(enrolment));
        Assert.Null(clock.ConnectedSince);
        await observer.Ready(new Event(attestation, started: false));   // "fake-ready" of an endpoint that does not start
        Assert.Null(clock.ConnectedSince);
        await observer.Ready(new Event(attestation));
        Assert.Equal(_h.Now, clock.ConnectedSince);

        _h.Time.Advance(TimeSpan.FromSeconds(3));
        await observer.Faulted(new Event(enrolment));
        Assert.Equal(_h.Now.AddSeconds(-3), clock.ConnectedSince);
        await observer.Faulted(new Event(attestation));
        Assert.Null(clock.ConnectedSince);

        _h.Time.Advance(TimeSpan.FromSeconds(30));
        await observer.Ready(new Event(attestation));
        Assert.Equal(_h.Now, clock.ConnectedSince);
        await observer.Stopping(new Event(attestation));
        Assert.Null(clock.ConnectedSince);
        await observer.Ready(new Event(attestation));
        await observer.Completed(new Event(attestation));
        Assert.Null(clock.ConnectedSince);
        Assert.Equal(3, clock.Outages);
    }

    [Fact]
    public void The_verifier_host_wires_the_clock_into_the_detector_and_the_observer_into_the_bus()
    {
        string dir = Directory.CreateTempSubdirectory("kcrypt-silence-host-").FullName;
        try
        {
            using (IHost host = VerifierHost.Build(
                [
                    KeyValuePair.Create<string, string?>("Verifier:Db", Path.Combine(dir, "verifier.db")),
                    KeyValuePair.Create<string, string?>("Broker:Uri", "amqp://guest:guest@127.0.0.1:1/"),
                ],
                new Dictionary<string, string?>()))
            {
                IServiceProvider s = host.Services;
                var clock = s.GetRequiredService<BrokerConnectionClock>();
                Assert.Contains(s.GetServices<IReceiveEndpointObserver>(), o => o is BrokerConnectionObserver);

                // A node last heard of an hour ago, in the store of a verifier that has not connected yet.
                DateTime hourAgo = DateTime.UtcNow.AddHours(-1);
                new TestNodes(s.GetRequiredService<IVerifierStore>()).Apply(
                    new NodeEnrolled(_h.TpmHash, _h.EkPublic.ToArray(), _h.AkPublic, _h.AkName, "node-restart", hourAgo), hourAgo);
                SilenceDetector detector = s.GetRequiredService<SilenceDetector>();
                Assert.Null(clock.ConnectedSince);
                Assert.Empty(detector.Scan());

                // Once the host's clock has been up for the threshold, the same detector reports it.
                clock.Connected(hourAgo);
                Assert.Equal(_h.TpmHash, Assert.Single(detector.Scan()).TpmHash);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task On_a_real_bus_the_observer_and_the_health_probe_agree_and_the_probe_heals_a_missed_event()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_h.Time);
        services.AddBrokerConnectionClock();
        services.AddMassTransit(x =>
        {
            x.AddConsumer<IgnoreConsumer>().Endpoint(e => e.Name = KcryptPushQueues.VerifierAttestation);
            x.AddConsumer<OtherConsumer>().Endpoint(e => e.Name = "kcrypt-push-verifier-enrolment");
            x.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        var clock = provider.GetRequiredService<BrokerConnectionClock>();
        var probe = provider.GetRequiredService<BrokerConnectionProbe>();
        var bus = provider.GetRequiredService<IBusControl>();
        Assert.Null(clock.ConnectedSince);

        using var started = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await bus.StartAsync(started.Token);
        try
        {
            // The observer's ready event, then the health agrees (both come from the endpoint starting).
            DateTime startedAt = _h.Now;
            await WaitUntil(() => clock.ConnectedSince is not null, "the attestation endpoint's ready event");
            Assert.Equal(startedAt, clock.ConnectedSince);
            await WaitUntil(() => BrokerConnectionProbe.AttestationQueueHealthy(bus.CheckHealth()) == true, "a healthy attestation endpoint");
            Assert.True(probe.Reconcile());
            Assert.Equal(startedAt, clock.ConnectedSince);   // no change when they agree

            // A lost event: the probe brings the clock up again, from now (a full threshold from here).
            clock.Disconnected();
            _h.Time.Advance(TimeSpan.FromSeconds(7));
            Assert.True(probe.Reconcile());
            Assert.Equal(_h.Now, clock.ConnectedSince);
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }

        // Stopping the bus stops the endpoint: the clock is down, and the probe does not bring it up.
        Assert.Null(clock.ConnectedSince);
        Assert.NotEqual(true, probe.Reconcile());
        Assert.Null(clock.ConnectedSince);
    }

    [Fact]
    public async Task The_health_probe_has_no_opinion_without_the_attestation_queue()
    {
        var clock = BrokerConnectionClock.Up(_h.Now);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMassTransit(x => x.UsingInMemory());
        await using ServiceProvider provider = services.BuildServiceProvider();
        var probe = new BrokerConnectionProbe(provider.GetRequiredService<IBusControl>(), clock, _h.Time, NullLogger<BrokerConnectionProbe>.Instance);
        Assert.Null(probe.Reconcile());
        Assert.Equal(_h.Now, clock.ConnectedSince);
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"no {what} within 60 s");
            await Task.Delay(20);
        }
    }

    public sealed record Ignored(string Text);

    public sealed class IgnoreConsumer : IConsumer<Ignored>
    {
        public Task Consume(ConsumeContext<Ignored> context) => Task.CompletedTask;
    }

    public sealed class OtherConsumer : IConsumer<Ignored>
    {
        public Task Consume(ConsumeContext<Ignored> context) => Task.CompletedTask;
    }

    private sealed class Event(Uri address, bool started = true) : ReceiveEndpointReady, ReceiveEndpointFaulted, ReceiveEndpointStopping, ReceiveEndpointCompleted
    {
        public Uri InputAddress => address;

        public IReceiveEndpoint ReceiveEndpoint => null!;

        public bool IsStarted => started;

        public Exception Exception { get; } = new InvalidOperationException("connection lost");

        public bool Removed => false;

        public long DeliveryCount => 0;

        public long ConcurrentDeliveryCount => 0;
    }
}
