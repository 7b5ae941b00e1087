using KcryptPush.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client.Exceptions;

namespace KcryptPush.Integration.Tests.Broker;

/// <summary>
/// <see cref="BrokerReconnectPolicy"/>: every service's bus tries the broker again within a few seconds, not on
/// MassTransit's 3-30 s schedule, and retries exactly what MassTransit retries. The policy is set through fields
/// MassTransit does not publish, so these fail first when an upgrade moves them (issue 10, item 4).
/// </summary>
[Trait("Category", "Unit")]
public sealed class BrokerReconnectPolicyTests
{
    private static readonly TimeSpan Min = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(3);

    [Fact]
    public void The_rabbitmq_host_reconnects_within_the_cap_instead_of_masstransits_30_s()
    {
        IRetryPolicy? before = null, after = null;
        bool applied = false;
        IBusControl bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            before = BrokerReconnectPolicy.Current(cfg);
            applied = BrokerReconnectPolicy.TryApply(cfg, Min, Max);
            after = BrokerReconnectPolicy.Current(cfg);
        });
        Assert.NotNull(bus);

        // What the premise rests on: MassTransit's own schedule grows to 30 s (each pause ±25 % at random).
        Assert.NotNull(before);
        Assert.InRange(Delays(before, 8).Max(), TimeSpan.FromSeconds(22.5), TimeSpan.FromSeconds(37.5));

        Assert.True(applied, "BrokerReconnectPolicy could not reach the RabbitMQ host's reconnect policy: did MassTransit change?");
        Assert.NotNull(after);
        TimeSpan[] delays = Delays(after, 50);
        Assert.All(delays, d => Assert.InRange(d, Min * 0.75, Max * 1.25));
        Assert.All(delays[3..], d => Assert.InRange(d, Max * 0.75, Max * 1.25));
        Assert.True(delays.Distinct().Count() > 10, "the pauses are jittered, so a fleet of services does not retry in step");
    }

    [Fact]
    public void It_retries_what_masstransit_retries_and_nothing_more()
    {
        IRetryPolicy? before = null, after = null;
        MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            before = BrokerReconnectPolicy.Current(cfg);
            Assert.True(BrokerReconnectPolicy.TryApply(cfg, Min, Max));
            after = BrokerReconnectPolicy.Current(cfg);
        });

        Exception[] cases =
        [
            new MassTransit.RabbitMqConnectionException("Broker unreachable"),
            new AlreadyClosedException(new RabbitMQ.Client.Events.ShutdownEventArgs(RabbitMQ.Client.ShutdownInitiator.Peer, 320, "CONNECTION_FORCED")),
            new AuthenticationFailureException("ACCESS_REFUSED"),
            new InvalidOperationException("a bug"),
        ];
        Assert.All(cases, e => Assert.Equal(before!.IsHandled(e), after!.IsHandled(e)));
        Assert.True(after!.IsHandled(cases[0]));
        Assert.False(after.IsHandled(cases[2]));
    }

    [Fact]
    public async Task Every_service_bus_gets_it_from_the_broker_options()
    {
        var logged = new LoggedLines();
        await using ServiceProvider provider = Services(new Dictionary<string, string?> { ["Broker:ReconnectMaxInterval"] = "00:00:02" }, logged);
        Assert.NotNull(provider.GetRequiredService<IBusControl>());
        Assert.Contains(logged.Lines, l => l.Contains("growing to at most 2 s between attempts", StringComparison.Ordinal));
        Assert.DoesNotContain(logged.Lines, l => l.Contains("its own schedule applies", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("00:00:00", "00:00:03")]
    [InlineData("00:00:05", "00:00:03")]
    [InlineData("00:00:01", "00:10:00")]
    public async Task A_schedule_out_of_bounds_is_refused_at_start(string min, string max)
    {
        Assert.Equal(TimeSpan.FromSeconds(1), new BrokerOptions().ReconnectMinInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), new BrokerOptions().ReconnectMaxInterval);
        await using ServiceProvider provider = Services(new Dictionary<string, string?> { ["Broker:ReconnectMinInterval"] = min, ["Broker:ReconnectMaxInterval"] = max }, new LoggedLines());
        OptionsValidationException e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<BrokerOptions>>().Value);
        Assert.Contains("Broker:ReconnectMinInterval", e.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings, LoggedLines logged)
    {
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Debug).AddProvider(logged));
        services.AddKcryptPushBus(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }

    // The pauses a policy asks for after `count` failures in a row.
    private static TimeSpan[] Delays(IRetryPolicy policy, int count)
    {
        var delays = new List<TimeSpan>();
        var failure = new MassTransit.RabbitMqConnectionException("Broker unreachable");
        using RetryPolicyContext<Probe> context = policy.CreatePolicyContext(new Probe());
        Assert.True(context.CanRetry(failure, out RetryContext<Probe> retry));
        for (int i = 0; i < count; i++)
        {
            delays.Add(retry.Delay ?? TimeSpan.Zero);
            Assert.True(retry.CanRetry(failure, out retry));
        }

        return [.. delays];
    }

    private sealed class LoggedLines : ILoggerProvider, ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public IReadOnlyList<string> Lines => [.. _lines];

        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue(formatter(state, exception));
    }

    private sealed class Probe() : MassTransit.Middleware.BasePipeContext(CancellationToken.None), PipeContext;
}
