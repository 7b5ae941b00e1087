using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>One message a spy saw: the raw body (MassTransit's JSON envelope) and its size.</summary>
public sealed record SpiedMessage(byte[] Body, DateTimeOffset At)
{
    /// <summary>The envelope's <c>messageType</c> URNs.</summary>
    public IReadOnlyList<string> MessageTypes
    {
        get
        {
            using JsonDocument doc = JsonDocument.Parse(Body);
            return doc.RootElement.TryGetProperty("messageType", out JsonElement t)
                ? t.EnumerateArray().Select(x => x.GetString() ?? string.Empty).ToArray()
                : [];
        }
    }

    /// <summary>True when the envelope says the message is of contract type <paramref name="name"/> (e.g. <c>NodeTrusted</c>).</summary>
    public bool Is(string name) => MessageTypes.Contains($"urn:message:KcryptPush.Contracts.V1:{name}");

    /// <summary>The envelope's <c>message</c> object.</summary>
    public JsonElement Message
    {
        get
        {
            using JsonDocument doc = JsonDocument.Parse(Body);
            return doc.RootElement.GetProperty("message").Clone();
        }
    }
}

/// <summary>
/// A queue of the test's own bound to an exchange with the plain RabbitMQ client, the way an alert
/// consumer binds to the verdict exchange (DESIGN.md): it sees copies of everything published or
/// sent there, without taking anything from the services' queues.
/// </summary>
public sealed class ExchangeSpy : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly ConcurrentQueue<SpiedMessage> _messages = new();

    private ExchangeSpy(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    public IReadOnlyList<SpiedMessage> Messages => [.. _messages];

    /// <summary>Declares <paramref name="exchange"/> as MassTransit does (durable fanout) and binds an exclusive queue to it.</summary>
    public static async Task<ExchangeSpy> StartAsync(string brokerUri, string exchange)
    {
        var factory = new ConnectionFactory { Uri = new Uri(brokerUri) };
        IConnection connection = await factory.CreateConnectionAsync();
        IChannel channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        QueueDeclareOk queue = await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true);
        await channel.QueueBindAsync(queue.QueueName, exchange, string.Empty);
        var spy = new ExchangeSpy(connection, channel);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, e) =>
        {
            spy._messages.Enqueue(new SpiedMessage(e.Body.ToArray(), DateTimeOffset.UtcNow));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer);
        return spy;
    }

    /// <summary>Waits for a message matching <paramref name="match"/>.</summary>
    public async Task<SpiedMessage> WaitForAsync(Func<SpiedMessage, bool> match, TimeSpan timeout, string what, Func<string>? diagnostics = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_messages.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"no {what} within {timeout}; saw {_messages.Count} message(s): "
                    + string.Join(" | ", _messages.Select(m => System.Text.Encoding.UTF8.GetString(m.Body)).TakeLast(5)) + "\n" + diagnostics?.Invoke());
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
    }
}
