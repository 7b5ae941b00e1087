using KcryptPush.Integration.Tests.Fixtures;
using RabbitMQ.Client;

namespace KcryptPush.Integration.Tests.Broker;

/// <summary>
/// An alert consumer's queue on a cluster: a quorum queue of the test's own bound to an exchange,
/// declared through one node (whose queue leader it then is, RabbitMQ's client-local placement) and
/// read with basic.get through any node, so it can be read after the node that led it is gone.
/// </summary>
public sealed class QuorumQueueSpy
{
    private readonly List<SpiedMessage> _messages = [];

    private QuorumQueueSpy(string queue) => Queue = queue;

    public string Queue { get; }

    /// <summary>Declares <paramref name="exchange"/> as MassTransit does (durable fanout) and a quorum queue bound to it, through <paramref name="brokerUri"/>.</summary>
    public static async Task<QuorumQueueSpy> StartAsync(string brokerUri, string exchange)
    {
        var spy = new QuorumQueueSpy($"kcp-test-quorum-spy-{Guid.NewGuid():N}");
        await using IConnection connection = await Connect(brokerUri);
        await using IChannel channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        await channel.QueueDeclareAsync(spy.Queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        await channel.QueueBindAsync(spy.Queue, exchange, string.Empty);
        return spy;
    }

    /// <summary>Takes what is in the queue now, through <paramref name="brokerUri"/>, and returns everything read so far.</summary>
    public async Task<IReadOnlyList<SpiedMessage>> DrainAsync(string brokerUri)
    {
        await using IConnection connection = await Connect(brokerUri);
        await using IChannel channel = await connection.CreateChannelAsync();
        while (await channel.BasicGetAsync(Queue, autoAck: true) is { } got)
        {
            _messages.Add(new SpiedMessage(got.Body.ToArray(), DateTimeOffset.UtcNow));
        }

        return [.. _messages];
    }

    private static Task<IConnection> Connect(string brokerUri) => new ConnectionFactory { Uri = new Uri(brokerUri) }.CreateConnectionAsync();
}
