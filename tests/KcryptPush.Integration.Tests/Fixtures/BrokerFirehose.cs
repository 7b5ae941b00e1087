using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>
/// RabbitMQ's firehose on a test broker (<c>rabbitmqctl trace_on</c>): a copy of every message
/// published on the default vhost, whatever exchange it went to (request replies included, which go
/// to a client's own temporary endpoint), as a wiretap on the network would see it. Each copy keeps
/// the original body; the exchange it was published to comes in the trace's <c>exchange_name</c> header.
/// </summary>
public sealed class BrokerFirehose : IAsyncDisposable
{
    private const string TraceExchange = "amq.rabbitmq.trace";

    private readonly RabbitMqFixture _broker;
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly ConcurrentQueue<(string Exchange, SpiedMessage Message)> _messages = new();

    private BrokerFirehose(RabbitMqFixture broker, IConnection connection, IChannel channel)
    {
        _broker = broker;
        _connection = connection;
        _channel = channel;
    }

    /// <summary>Every published message seen so far, with the exchange it was published to.</summary>
    public IReadOnlyList<(string Exchange, SpiedMessage Message)> Messages => [.. _messages];

    /// <summary>Turns tracing on and binds an exclusive queue to <c>amq.rabbitmq.trace</c> for every publish.</summary>
    public static async Task<BrokerFirehose> StartAsync(RabbitMqFixture broker)
    {
        (int code, string stdout, string stderr) = await broker.Ctl("trace_on");
        if (code != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl trace_on failed ({code}): {stdout}{stderr}");
        }

        var factory = new ConnectionFactory { Uri = new Uri(broker.Uri) };
        IConnection connection = await factory.CreateConnectionAsync();
        IChannel channel = await connection.CreateChannelAsync();
        QueueDeclareOk queue = await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true);
        await channel.QueueBindAsync(queue.QueueName, TraceExchange, "publish.#");
        var firehose = new BrokerFirehose(broker, connection, channel);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, e) =>
        {
            string exchange = e.BasicProperties.Headers?.TryGetValue("exchange_name", out object? name) == true && name is byte[] bytes
                ? Encoding.UTF8.GetString(bytes)
                : e.RoutingKey["publish.".Length..];
            firehose._messages.Enqueue((exchange, new SpiedMessage(e.Body.ToArray(), DateTimeOffset.UtcNow)));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer);
        return firehose;
    }

    /// <summary>Waits for a published message matching <paramref name="match"/>.</summary>
    public async Task<SpiedMessage> WaitForAsync(Func<SpiedMessage, bool> match, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_messages.Select(m => m.Message).FirstOrDefault(match) is { } found)
            {
                return found;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"the firehose saw no {what} within {timeout} ({_messages.Count} message(s) to "
                    + string.Join(", ", _messages.Select(m => m.Exchange).Distinct()) + ")");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.CloseAsync();
        await _connection.CloseAsync();
        _channel.Dispose();
        _connection.Dispose();
        await _broker.Ctl("trace_off");
    }
}
