using System.Globalization;

namespace KcryptPush.Tpm.Transport;

/// <summary>
/// Opens a transport from our <c>--tpm</c> option form (DESIGN.md command-line contract):
/// <c>device:/dev/tpmrm0</c> or <c>swtpm:HOST:PORT</c>.
/// </summary>
public static class TpmTransportFactory
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <exception cref="InvalidTpmUriException">The value is not a TPM address we understand.</exception>
    /// <exception cref="TpmTransportException">The address is well formed but the TPM cannot be reached.</exception>
    public static ITpmTransport Open(string uri, TimeSpan? timeout = null)
    {
        TpmAddress address = Parse(uri);
        TimeSpan t = timeout ?? DefaultTimeout;
        return address.Kind == TpmAddressKind.Device
            ? DeviceTransport.Open(address.Path!, t)
            : SwtpmTransport.Connect(address.Host!, address.Port, t);
    }

    /// <summary>Checks and splits an address without opening anything.</summary>
    /// <exception cref="InvalidTpmUriException">The value is not a TPM address we understand.</exception>
    public static TpmAddress Parse(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        int colon = uri.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new InvalidTpmUriException(uri, "missing 'device:' or 'swtpm:' prefix");
        }
        string scheme = uri[..colon];
        string rest = uri[(colon + 1)..];
        switch (scheme)
        {
            case "device":
                if (rest.Length == 0 || !rest.StartsWith('/'))
                {
                    throw new InvalidTpmUriException(uri, "a device needs an absolute path");
                }
                return new TpmAddress(TpmAddressKind.Device, rest, null, 0);
            case "swtpm":
                int last = rest.LastIndexOf(':');
                if (last <= 0)
                {
                    throw new InvalidTpmUriException(uri, "swtpm needs HOST:PORT");
                }
                string host = rest[..last].Trim('[', ']');
                if (!int.TryParse(rest[(last + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port)
                    || port is < 1 or > 65535)
                {
                    throw new InvalidTpmUriException(uri, "the port must be a number from 1 to 65535");
                }
                if (host.Length == 0)
                {
                    throw new InvalidTpmUriException(uri, "swtpm needs a host");
                }
                return new TpmAddress(TpmAddressKind.Swtpm, null, host, port);
            default:
                throw new InvalidTpmUriException(uri, $"unknown kind '{scheme}'");
        }
    }
}
