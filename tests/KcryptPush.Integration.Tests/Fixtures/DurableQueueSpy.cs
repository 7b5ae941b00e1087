using RabbitMQ.Client;

namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>
/// A durable queue of the test's own bound to an exchange, read with basic.get only when asked: unlike
/// <see cref="ExchangeSpy"/> (an exclusive queue on a live connection, gone with the broker) it keeps
/// every persistent message across a broker stop and start, including those published while nobody
/// was connected, so "nothing lost, nothing repeated" can be counted over an outage.
/// </summary>
public sealed class DurableQueueSpy : IAsyncDisposable
{
    private readonly string _brokerUri;
    private readonly List<SpiedMessage> _messages = [];

    private DurableQueueSpy(string brokerUri, string queue)
    {
        _brokerUri = brokerUri;
        Queue = queue;
    }

    public string Queue { get; }

    /// <summary>Every message read so far, in queue order.</summary>
    public IReadOnlyList<SpiedMessage> Messages => [.. _messages];

    /// <summary>Declares <paramref name="exchange"/> as MassTransit does (durable fanout) and a durable queue bound to it.</summary>
    public static async Task<DurableQueueSpy> StartAsync(string brokerUri, string exchange)
    {
        var spy = new DurableQueueSpy(brokerUri, $"kcp-test-durable-spy-{Guid.NewGuid():N}");
        await using IConnection connection = await Connect(brokerUri);
        await using IChannel channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        await channel.QueueDeclareAsync(spy.Queue, durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(spy.Queue, exchange, string.Empty);
        return spy;
    }

    /// <summary>Takes what is in the queue now (the broker must be up) and returns everything read so far.</summary>
    public async Task<IReadOnlyList<SpiedMessage>> DrainAsync()
    {
        await using IConnection connection = await Connect(_brokerUri);
        await using IChannel channel = await connection.CreateChannelAsync();
        while (await channel.BasicGetAsync(Queue, autoAck: true) is { } got)
        {
            _messages.Add(new SpiedMessage(got.Body.ToArray(), DateTimeOffset.UtcNow));
        }

        return Messages;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using IConnection connection = await Connect(_brokerUri);
            await using IChannel channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(Queue);
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            // The broker is gone already: the queue goes with the fixture's broker directory.
        }
    }

    private static Task<IConnection> Connect(string brokerUri) => new ConnectionFactory { Uri = new Uri(brokerUri) }.CreateConnectionAsync();
}
