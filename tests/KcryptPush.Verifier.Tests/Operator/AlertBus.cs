using System.Collections.Concurrent;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary>
/// A bus on the test broker that sees verdicts as an alert consumer does: one durable queue bound
/// to every verdict type, one message at a time (so arrival order is the queue's order). Tests also
/// publish through it (e.g. NodeEnrolled, as the registrar would).
/// </summary>
internal sealed class AlertBus : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private AlertBus(ServiceProvider services, ConcurrentQueue<(Guid? MessageId, INodeVerdict Verdict)> received)
    {
        _services = services;
        Received = received;
        Bus = services.GetRequiredService<IBusControl>();
    }

    /// <summary>Every verdict received, in arrival order, with its envelope's MessageId.</summary>
    public ConcurrentQueue<(Guid? MessageId, INodeVerdict Verdict)> Received { get; }

    public IBusControl Bus { get; }

    public static async Task<AlertBus> StartAsync(string brokerUri, string queue)
    {
        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create<string, string?>("Broker:Uri", brokerUri)]).Build();
        var received = new ConcurrentQueue<(Guid?, INodeVerdict)>();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(received);
        services.AddKcryptPushBus(config, x =>
        {
            void Listen<T>()
                where T : class, INodeVerdict =>
                x.AddConsumer<Recorder<T>>().Endpoint(e => { e.Name = queue; e.ConcurrentMessageLimit = 1; });
            Listen<NodeTrusted>();
            Listen<NodeQuarantined>();
            Listen<NodeSilent>();
            Listen<NodeTerminated>();
            Listen<NodeReleased>();
        });
        var bus = new AlertBus(services.BuildServiceProvider(), received);
        using var start = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await bus.Bus.StartAsync(start.Token);
        return bus;
    }

    /// <summary>The verdicts of type <typeparamref name="T"/> received so far.</summary>
    public IEnumerable<T> Of<T>()
        where T : INodeVerdict => Received.Select(r => r.Verdict).OfType<T>();

    /// <summary>Waits (20 s at most) for the first received <typeparamref name="T"/> that matches.</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool> match)
        where T : INodeVerdict
    {
        DateTime until = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < until)
        {
            foreach (T found in Of<T>().Where(match))
            {
                return found;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no matching {typeof(T).Name} arrived");
    }

    public async ValueTask DisposeAsync()
    {
        await Bus.StopAsync();
        await _services.DisposeAsync();
    }

    private sealed class Recorder<T>(ConcurrentQueue<(Guid?, INodeVerdict)> received) : IConsumer<T>
        where T : class, INodeVerdict
    {
        public Task Consume(ConsumeContext<T> context)
        {
            received.Enqueue((context.MessageId, context.Message));
            return Task.CompletedTask;
        }
    }
}
