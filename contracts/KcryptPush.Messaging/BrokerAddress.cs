namespace KcryptPush.Messaging;

/// <summary>
/// A parsed broker URI (RabbitMQ URI specification: https://www.rabbitmq.com/docs/uri-spec):
/// <c>amqp[s]://[user[:password]@]host[:port][/vhost]</c>.
/// </summary>
/// <param name="Host">Host name or address.</param>
/// <param name="Port">TCP port (5672 for amqp, 5671 for amqps when omitted).</param>
/// <param name="VirtualHost">The vhost: the percent-decoded path without its leading slash; an empty path is "/".</param>
/// <param name="Username">User name (guest when absent).</param>
/// <param name="Password">Password (guest when absent).</param>
/// <param name="UseTls">True for <c>amqps://</c>.</param>
public sealed record BrokerAddress(string Host, int Port, string VirtualHost, string Username, string Password, bool UseTls)
{
    /// <summary>Parses <paramref name="uri"/>.</summary>
    /// <exception cref="InvalidBrokerUriException">The URI is not an amqp:// or amqps:// URI with a host.</exception>
    public static BrokerAddress Parse(string? uri)
    {
        if (string.IsNullOrWhiteSpace(uri))
        {
            throw new InvalidBrokerUriException("the broker URI is empty (expected amqp://user:pass@host:port/vhost)");
        }

        if (!System.Uri.TryCreate(uri.Trim(), UriKind.Absolute, out Uri? parsed))
        {
            throw new InvalidBrokerUriException($"the broker URI is not an absolute URI (expected amqp://user:pass@host:port/vhost): {Redact(uri)}");
        }

        bool tls = parsed.Scheme switch
        {
            "amqp" => false,
            "amqps" => true,
            _ => throw new InvalidBrokerUriException($"the broker URI scheme must be amqp or amqps, not '{parsed.Scheme}'"),
        };

        if (string.IsNullOrEmpty(parsed.Host))
        {
            throw new InvalidBrokerUriException("the broker URI has no host");
        }

        int port = parsed.IsDefaultPort || parsed.Port <= 0 ? (tls ? 5671 : 5672) : parsed.Port;

        // RabbitMQ URI spec: the vhost is the path without its leading "/", percent-decoded;
        // "amqp://host" and "amqp://host/" both mean the default vhost "/", and "%2f" spells "/".
        string path = parsed.AbsolutePath.TrimStart('/');
        if (path.Contains('/', StringComparison.Ordinal))
        {
            throw new InvalidBrokerUriException("the broker URI path must be a single vhost segment (use %2f for '/')");
        }

        string vhost = path.Length == 0 ? "/" : Uri.UnescapeDataString(path);

        string user = "guest", password = "guest";
        if (!string.IsNullOrEmpty(parsed.UserInfo))
        {
            int colon = parsed.UserInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? parsed.UserInfo : parsed.UserInfo[..colon]);
            password = colon < 0 ? string.Empty : Uri.UnescapeDataString(parsed.UserInfo[(colon + 1)..]);
        }

        return new BrokerAddress(parsed.Host, port, vhost, user, password, tls);
    }

    /// <summary>The URI with the password replaced by "***", for logs and error messages.</summary>
    public static string Redact(string uri)
    {
        int at = uri.IndexOf('@', StringComparison.Ordinal);
        int scheme = uri.IndexOf("://", StringComparison.Ordinal);
        if (at < 0 || scheme < 0 || at < scheme)
        {
            return uri;
        }

        int colon = uri.IndexOf(':', scheme + 3);
        return colon > 0 && colon < at ? string.Concat(uri.AsSpan(0, colon + 1), "***", uri.AsSpan(at)) : uri;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{(UseTls ? "amqps" : "amqp")}://{Username}:***@{Host}:{Port}/{Uri.EscapeDataString(VirtualHost)}";
}
