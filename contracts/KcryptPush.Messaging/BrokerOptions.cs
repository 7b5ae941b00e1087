namespace KcryptPush.Messaging;

/// <summary>
/// Broker settings, bound from the <c>Broker</c> configuration section (appsettings.json,
/// <c>KCRYPTPUSH_Broker__Uri</c>, the <c>KCRYPTPUSH_BROKER</c> alias, or <c>--broker</c>;
/// DESIGN.md "Command-line contract"). TLS trust and client certificates: <see cref="BrokerTls"/>.
/// </summary>
public sealed class BrokerOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string Section = "Broker";

    /// <summary>The broker address when nothing is configured (DESIGN.md).</summary>
    public const string DefaultUri = "amqp://guest:guest@127.0.0.1:5672/";

    /// <summary>
    /// <c>amqp://user:pass@host:port/vhost</c>, or <c>amqps://</c> for TLS; parsed by
    /// <see cref="BrokerAddress.Parse"/>. User name and password are percent-decoded.
    /// </summary>
    public string Uri { get; set; } = DefaultUri;

    /// <summary>How long a request (e.g. RegisterNode) waits for its response.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Messages fetched ahead per receive endpoint.</summary>
    public int PrefetchCount { get; set; } = 32;

    /// <summary>Immediate redeliveries of a message whose consumer failed transiently.</summary>
    public int RetryLimit { get; set; } = 5;

    /// <summary>First retry delay; doubled up to <see cref="RetryMaxInterval"/>.</summary>
    public TimeSpan RetryMinInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest retry delay.</summary>
    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The type of the service's durable queues: <c>classic</c> (the default) or <c>quorum</c>
    /// (<c>KCRYPTPUSH_Broker__QueueType</c>), for a RabbitMQ cluster where a queue must survive the loss of
    /// a broker node: quorum queues are replicated (Raft) across the cluster's nodes. A queue's type is
    /// fixed when it is declared: switching an existing deployment means deleting its queues (drained)
    /// first, or the broker refuses the declaration (PRECONDITION_FAILED) and the service stays unready.
    /// The agents' reply queues are temporary (exclusive, auto-delete) and stay classic.
    /// </summary>
    public string QueueType { get; set; } = QueueTypes.Classic;

    /// <summary>Connection name shown in the broker's management UI (defaults to the service name).</summary>
    public string? ConnectionName { get; set; }

    /// <summary>
    /// PEM file with the CA certificate(s) that signed the broker's certificate, for <c>amqps://</c>
    /// to a broker under a private CA (<c>KCRYPTPUSH_Broker__CaFile</c>). When set, the broker's
    /// certificate must chain to one of these and to nothing else (the system roots are not
    /// consulted); when unset, it must chain to a system-trusted root. Either way its name must
    /// match the URI's host. See <see cref="BrokerTls"/>.
    /// </summary>
    public string? CaFile { get; set; }

    /// <summary>
    /// PEM certificate this service presents to the broker for mutual TLS
    /// (<c>KCRYPTPUSH_Broker__ClientCertificateFile</c>); its key is in <see cref="ClientKeyFile"/>
    /// or, when that is unset, in the same file. Only with <c>amqps://</c>.
    /// </summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>Unencrypted PEM private key of <see cref="ClientCertificateFile"/> (<c>KCRYPTPUSH_Broker__ClientKeyFile</c>).</summary>
    public string? ClientKeyFile { get; set; }
}

/// <summary>The values of <see cref="BrokerOptions.QueueType"/>.</summary>
public static class QueueTypes
{
    /// <summary>RabbitMQ's classic queue.</summary>
    public const string Classic = "classic";

    /// <summary>A replicated quorum queue (RabbitMQ 3.8+).</summary>
    public const string Quorum = "quorum";

    /// <summary>Whether <paramref name="value"/> is a supported queue type (exact, lower case).</summary>
    public static bool IsKnown(string? value) => value is Classic or Quorum;
}
