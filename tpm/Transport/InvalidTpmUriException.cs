namespace KcryptPush.Tpm.Transport;

/// <summary>
/// A <c>--tpm</c> value that is neither <c>device:PATH</c> nor <c>swtpm:HOST:PORT</c>: a usage error
/// (exit code 2 in our command-line tools), not a TPM failure.
/// </summary>
public sealed class InvalidTpmUriException : ArgumentException
{
    public InvalidTpmUriException()
    {
    }

    public InvalidTpmUriException(string message)
        : base(message)
    {
    }

    public InvalidTpmUriException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public InvalidTpmUriException(string uri, string reason)
        : base($"invalid TPM address '{uri}': {reason} (expected device:/dev/tpmrm0 or swtpm:HOST:PORT)")
    {
        Uri = uri;
    }

    /// <summary>The rejected value.</summary>
    public string? Uri { get; }
}
