using System.Globalization;
using System.Net;

namespace KcryptPush.Http;

/// <summary>
/// A parsed <c>Http:Listen</c> value: <c>off</c>, or HOST:PORT where HOST is an IPv4 address,
/// a bracketed IPv6 address, <c>localhost</c> (127.0.0.1) or <c>*</c> (every IPv4 and IPv6
/// address). Host names are refused: what a name resolves to can change under a running service,
/// and whether the bearer token is required depends on the address being loopback.
/// </summary>
public sealed record HttpListenAddress(IPEndPoint? EndPoint)
{
    /// <summary>The listener is disabled.</summary>
    public static HttpListenAddress Off { get; } = new((IPEndPoint?)null);

    /// <summary>True when no port is opened.</summary>
    public bool IsOff => EndPoint is null;

    /// <summary>True when only this machine can connect.</summary>
    public bool IsLoopback => EndPoint is { } e && IPAddress.IsLoopback(e.Address);

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <exception cref="InvalidHttpConfigurationException">Not <c>off</c> nor HOST:PORT.</exception>
    public static HttpListenAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string value = text.Trim();
        if (value.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            return Off;
        }

        int colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
        {
            throw Invalid(text, "expected HOST:PORT (e.g. 127.0.0.1:9464) or off");
        }

        string host = value[..colon];
        string portText = value[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > IPEndPoint.MaxPort)
        {
            throw Invalid(text, $"'{portText}' is not a port (0-65535)");
        }

        IPAddress address;
        if (host == "*")
        {
            address = IPAddress.IPv6Any;
        }
        else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (host.StartsWith('[') && host.EndsWith(']') && IPAddress.TryParse(host[1..^1], out IPAddress? v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            address = v6;
        }
        else if (!host.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(host, out IPAddress? v4) && v4.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && host.Count(c => c == '.') == 3)
        {
            address = v4;
        }
        else
        {
            throw Invalid(text, $"'{host}' is not an IP address (IPv4, [IPv6], localhost or *)");
        }

        return new HttpListenAddress(new IPEndPoint(address, port));
    }

    /// <summary>The address as an http:// URL a client on this machine can use (a wildcard becomes loopback).</summary>
    public Uri ClientUrl(int? boundPort = null)
    {
        IPEndPoint e = EndPoint ?? throw new InvalidOperationException("the listener is off");
        IPAddress address = e.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : e.Address.Equals(IPAddress.IPv6Any) ? IPAddress.Loopback
            : e.Address;
        string host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        return new Uri($"http://{host}:{(boundPort ?? e.Port).ToString(CultureInfo.InvariantCulture)}/");
    }

    /// <inheritdoc/>
    public override string ToString() => EndPoint is { } e ? e.ToString() : "off";

    private static InvalidHttpConfigurationException Invalid(string text, string why) =>
        new($"{HttpOptions.ListenKey} (--http, KCRYPTPUSH_HTTP) '{text}': {why}");
}
