using System.Globalization;
using System.Text.Json;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace KcryptPush.Bench.Transport;

/// <summary>
/// The same answering on RabbitMQ.Client alone, as a verifier transport like the agent's would do it:
/// read MassTransit's envelope (JsonDocument, the message by the source-generated context), write the
/// answer's envelope with a Utf8JsonWriter, publish it to the response address's exchange with a
/// publisher confirm, then ack. The request client on the other side is MassTransit's, so the
/// envelope is what a MassTransit client accepts.
/// </summary>
internal static class FloorRabbitResponder
{
    private const string ContentType = "application/vnd.masstransit+json";
    private static readonly string ResultUrn = $"urn:message:{typeof(AttestationResult).Namespace}:{nameof(AttestationResult)}";

    public static async Task RunAsync(string broker, string queue, ushort prefetch)
    {
        BrokerAddress address = BrokerAddress.Parse(broker);
        var factory = new ConnectionFactory
        {
            HostName = address.Host,
            Port = address.Port,
            VirtualHost = address.VirtualHost,
            UserName = address.Username,
            Password = address.Password,
            ClientProvidedName = "kcrypt-push-bench-floor",
            ConsumerDispatchConcurrency = prefetch,
        };
        await using IConnection connection = await factory.CreateConnectionAsync();
        await using IChannel channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, consumerDispatchConcurrency: prefetch));
        await channel.BasicQosAsync(0, prefetch, false);
        await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: false, autoDelete: true);
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true);
        await channel.QueueBindAsync(queue, queue, string.Empty);
        string source = $"rabbitmq://{address.Host}:{address.Port.ToString(CultureInfo.InvariantCulture)}/{queue}";
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            (string exchange, byte[] body) = Answer(delivery.Body, source);
            var properties = new BasicProperties { ContentType = ContentType, DeliveryMode = DeliveryModes.Persistent, MessageId = Guid.NewGuid().ToString() };
            await channel.BasicPublishAsync(exchange, string.Empty, false, properties, body);
            await channel.BasicAckAsync(delivery.DeliveryTag, false);
        };
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer);
        await FloorChild.ServeUntilStdinClosesAsync();
    }

    // The request's envelope in, the answer's envelope and the exchange of its response address out.
    private static (string Exchange, byte[] Body) Answer(ReadOnlyMemory<byte> request, string source)
    {
        using JsonDocument document = JsonDocument.Parse(request);
        JsonElement root = document.RootElement;
        string requestId = root.GetProperty("requestId").GetString()!;
        string conversationId = root.GetProperty("conversationId").GetString()!;
        string responseAddress = root.GetProperty("responseAddress").GetString()!;
        QuoteSubmitted quote = root.GetProperty("message").Deserialize(FloorJsonContext.Default.QuoteSubmitted)!;

        // rabbitmq://host:port/[vhost/]NAME?temporary=true: the answer goes to the exchange NAME.
        string path = new Uri(responseAddress).AbsolutePath;
        string exchange = path[(path.LastIndexOf('/') + 1)..];

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(2048);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("messageId", Guid.NewGuid());
            w.WriteString("requestId", requestId);
            w.WriteString("conversationId", conversationId);
            w.WriteString("sourceAddress", source);
            w.WriteString("destinationAddress", responseAddress);
            w.WriteStartArray("messageType");
            w.WriteStringValue(ResultUrn);
            w.WriteEndArray();
            w.WritePropertyName("message");
            JsonSerializer.Serialize(w, FloorMessages.Pass(quote), FloorJsonContext.Default.AttestationResult);
            w.WriteString("sentTime", DateTime.UtcNow);
            w.WriteStartObject("headers");
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return (exchange, buffer.WrittenSpan.ToArray());
    }
}
