using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace KcryptPush.Agent.Bus;

/// <summary>
/// MassTransit's JSON envelope (content type <c>application/vnd.masstransit+json</c>), the format
/// the registrar and verifier read and write: <c>messageId</c>, <c>requestId</c>,
/// <c>correlationId</c>, <c>conversationId</c>, <c>initiatorId</c>, <c>sourceAddress</c>,
/// <c>destinationAddress</c>, <c>responseAddress</c>, <c>faultAddress</c>, <c>messageType</c>
/// (URNs), <c>message</c>, <c>expirationTime</c>, <c>sentTime</c>, <c>headers</c>, <c>host</c>.
/// Written field for field as MassTransit 8.5 writes a request (nulls included, not indented).
/// </summary>
internal static class MassTransitEnvelope
{
    /// <summary>The AMQP content type of an envelope.</summary>
    public const string ContentType = "application/vnd.masstransit+json";

    /// <summary>The header a request names the response types it accepts in (a responder refuses others).</summary>
    public const string AcceptTypeHeader = "MT-Request-AcceptType";

    private static readonly string ProcessName = Path.GetFileNameWithoutExtension(Environment.ProcessPath) ?? "kcrypt-push-agent";
    private static readonly string AssemblyVersion = typeof(MassTransitEnvelope).Assembly.GetName().Version?.ToString() ?? "0.0.0.0";

    /// <summary>Serialises <paramref name="message"/> in an envelope described by <paramref name="header"/>.</summary>
    public static byte[] Write<T>(T message, JsonTypeInfo<T> typeInfo, RequestHeader header)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        ArgumentNullException.ThrowIfNull(header);
        using var buffer = new MemoryStream(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("messageId", header.MessageId);
            WriteGuid(w, "requestId", header.RequestId);
            w.WriteNull("correlationId");
            w.WriteString("conversationId", header.ConversationId);
            w.WriteNull("initiatorId");
            w.WriteString("sourceAddress", header.SourceAddress);
            w.WriteString("destinationAddress", header.DestinationAddress);
            WriteString(w, "responseAddress", header.ResponseAddress);
            w.WriteNull("faultAddress");
            w.WriteStartArray("messageType");
            w.WriteStringValue(MessageUrns.Of<T>());
            w.WriteEndArray();
            w.WritePropertyName("message");
            JsonSerializer.Serialize(w, message, typeInfo);
            if (header.ExpirationTime is { } expires)
            {
                w.WriteString("expirationTime", Time(expires));
            }
            else
            {
                w.WriteNull("expirationTime");
            }

            w.WriteString("sentTime", Time(header.SentTime));
            w.WriteStartObject("headers");
            if (header.AcceptTypes.Count > 0)
            {
                w.WriteStartArray(AcceptTypeHeader);
                foreach (string urn in header.AcceptTypes)
                {
                    w.WriteStringValue(urn);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
            w.WriteStartObject("host");
            w.WriteString("machineName", Environment.MachineName);
            w.WriteString("processName", ProcessName);
            w.WriteNumber("processId", Environment.ProcessId);
            w.WriteString("assembly", "kcrypt-push-agent");
            w.WriteString("assemblyVersion", AssemblyVersion);
            w.WriteString("frameworkVersion", Environment.Version.ToString());
            w.WriteNull("massTransitVersion");
            w.WriteString("operatingSystemVersion", Environment.OSVersion.ToString());
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads an envelope (a response or a fault).</summary>
    /// <exception cref="JsonException">The body is not an envelope with a <c>messageType</c> and a <c>message</c>.</exception>
    public static ReceivedEnvelope Read(ReadOnlyMemory<byte> body)
    {
        using JsonDocument document = JsonDocument.Parse(body, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("the envelope is not a JSON object");
        }

        Guid? requestId = null, messageId = null;
        string[] types = [];
        JsonElement? message = null;
        foreach (JsonProperty p in root.EnumerateObject())
        {
            // MassTransit reads envelopes case-insensitively; so do we.
            if (string.Equals(p.Name, "requestId", StringComparison.OrdinalIgnoreCase))
            {
                requestId = ParseGuid(p.Value);
            }
            else if (string.Equals(p.Name, "messageId", StringComparison.OrdinalIgnoreCase))
            {
                messageId = ParseGuid(p.Value);
            }
            else if (string.Equals(p.Name, "messageType", StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.Array)
            {
                types = [.. p.Value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)];
            }
            else if (string.Equals(p.Name, "message", StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.Object)
            {
                message = p.Value.Clone();
            }
        }

        return types.Length == 0 || message is null
            ? throw new JsonException("the envelope has no messageType or no message")
            : new ReceivedEnvelope(requestId, messageId, types, message.Value);
    }

    private static void WriteGuid(Utf8JsonWriter w, string name, Guid? value)
    {
        if (value is { } v)
        {
            w.WriteString(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    private static Guid? ParseGuid(JsonElement e) =>
        e.ValueKind == JsonValueKind.String && Guid.TryParse(e.GetString(), out Guid g) ? g : null;
}

/// <summary>The envelope fields of one request.</summary>
internal sealed record RequestHeader(
    Guid MessageId,
    Guid? RequestId,
    Guid ConversationId,
    string SourceAddress,
    string DestinationAddress,
    string? ResponseAddress,
    DateTimeOffset SentTime,
    DateTimeOffset? ExpirationTime,
    IReadOnlyList<string> AcceptTypes);

/// <summary>A received envelope: its ids, its message types (URNs) and its <c>message</c>.</summary>
internal sealed record ReceivedEnvelope(Guid? RequestId, Guid? MessageId, IReadOnlyList<string> MessageTypes, JsonElement Message)
{
    /// <summary>Whether the message is a <typeparamref name="T"/>.</summary>
    public bool Is<T>() => MessageTypes.Contains(MessageUrns.Of<T>(), StringComparer.Ordinal);

    /// <summary>Whether the message is a MassTransit <c>Fault&lt;T&gt;</c> (the consumer threw).</summary>
    public bool IsFault => MessageTypes.Any(t => t.StartsWith(MessageUrns.FaultPrefix, StringComparison.Ordinal));

    /// <summary>The message as a <typeparamref name="T"/>.</summary>
    /// <exception cref="JsonException">It does not deserialise as one.</exception>
    public T Get<T>(JsonTypeInfo<T> typeInfo) =>
        Message.Deserialize(typeInfo) ?? throw new JsonException($"the {typeof(T).Name} in the envelope is null");

    /// <summary>A fault's exceptions (<c>message.exceptions[]</c>: type and message of each), outermost first.</summary>
    public IReadOnlyList<FaultedException> FaultExceptions()
    {
        var list = new List<FaultedException>();
        if (Message.TryGetProperty("exceptions", out JsonElement exceptions) && exceptions.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement e in exceptions.EnumerateArray())
            {
                if (e.ValueKind == JsonValueKind.Object)
                {
                    list.Add(new FaultedException(Text(e, "exceptionType"), Text(e, "message")));
                }
            }
        }

        return list;
    }

    private static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;
}

/// <summary>One exception of a MassTransit fault: its .NET type name and its message.</summary>
internal sealed record FaultedException(string ExceptionType, string Message);
