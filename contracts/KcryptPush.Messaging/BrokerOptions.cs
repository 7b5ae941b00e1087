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

    /// <summary>
    /// The other nodes of the broker's RabbitMQ cluster, <c>host:port,host:port</c> (a port may be left
    /// out: the URI's; <c>KCRYPTPUSH_Broker__ClusterNodes</c>); null or empty: one node, the URI's. The
    /// URI gives the user, password, vhost and TLS for all of them. The service connects to the URI's
    /// host:port first, then to these in turn, and when the node it is connected to goes away it
    /// reconnects to the next one that answers (MassTransit's UseCluster), so a service outlives the
    /// loss of a node of a cluster whose queues are quorum queues (<see cref="QueueType"/>).
    /// </summary>
    public string? ClusterNodes { get; set; }

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
    /// First pause before a service tries the broker again after losing it (a receive endpoint reconnecting, a
    /// send waiting for the connection); each next pause grows towards <see cref="ReconnectMaxInterval"/>
    /// (<see cref="BrokerReconnectPolicy"/>). MassTransit's own schedule (3 s growing to 30 s) left a service
    /// deaf for up to 30 s after the broker was back.
    /// </summary>
    public TimeSpan ReconnectMinInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Longest pause between two attempts to reach the broker (plus MassTransit's fixed 1 s pause after a
    /// receive endpoint fails): how long a service may stay away after the broker is back. A few seconds is
    /// no load on a broker that is down (a refused TCP connection per endpoint per pause).
    /// </summary>
    public TimeSpan ReconnectMaxInterval { get; set; } = TimeSpan.FromSeconds(3);

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

/// <summary>The entries of <see cref="BrokerOptions.ClusterNodes"/>.</summary>
public static class BrokerClusterNodes
{
    /// <summary>What a bad <see cref="BrokerOptions.ClusterNodes"/> is told.</summary>
    public const string Expected = "Broker:ClusterNodes must be host:port[,host:port...] (the other nodes of the broker's cluster; a port 1..65535, no user, path or IPv6 literal)";

    /// <summary>
    /// The nodes of <paramref name="value"/> as <c>host:port</c>, in order, <paramref name="defaultPort"/>
    /// where an entry has none; empty for null or blank.
    /// </summary>
    /// <exception cref="FormatException">An entry is not <c>host[:port]</c>.</exception>
    public static IReadOnlyList<string> Parse(string? value, int defaultPort)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return [];
        }

        var nodes = new List<string>();
        foreach (string raw in value.Split(',', StringSplitOptions.TrimEntries))
        {
            // Through System.Uri so a host is what a URI's host may be; user info, a path or a query
            // would be silently dropped by MassTransit's own host:port split, so they are refused.
            // IPv6 literals are refused for the same reason: MassTransit splits "[::1]:5672" at a colon.
            if (raw.Length == 0 || raw.Contains('@', StringComparison.Ordinal) || raw.Contains('/', StringComparison.Ordinal)
                || raw.Contains('?', StringComparison.Ordinal) || raw.Contains('[', StringComparison.Ordinal)
                || !System.Uri.TryCreate("amqp://" + raw, UriKind.Absolute, out Uri? uri) || string.IsNullOrEmpty(uri.Host)
                || uri.HostNameType == UriHostNameType.IPv6 || uri.AbsolutePath != "/" || (!uri.IsDefaultPort && uri.Port is < 1 or > 65535)
                || (raw.EndsWith(':')))
            {
                throw new FormatException($"{Expected}: '{raw}' is not");
            }

            int port = uri.IsDefaultPort || uri.Port <= 0 ? defaultPort : uri.Port;
            nodes.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{uri.Host}:{port}"));
        }

        return nodes;
    }

    /// <summary>Whether <paramref name="value"/> parses (<see cref="Parse"/>).</summary>
    public static bool IsValid(string? value)
    {
        try
        {
            Parse(value, 5672);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
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
