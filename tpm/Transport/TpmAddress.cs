namespace KcryptPush.Tpm.Transport;

public enum TpmAddressKind
{
    Device,
    Swtpm,
}

/// <summary>A parsed <c>--tpm</c> value: a device path, or an swtpm host and port.</summary>
public sealed record TpmAddress(TpmAddressKind Kind, string? Path, string? Host, int Port);
