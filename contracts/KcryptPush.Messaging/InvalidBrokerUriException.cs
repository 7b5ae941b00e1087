namespace KcryptPush.Messaging;

/// <summary>The configured broker URI cannot be used (wrong scheme, no host, bad port...).</summary>
public sealed class InvalidBrokerUriException : FormatException
{
    /// <summary>Creates the exception; <paramref name="message"/> never contains the password.</summary>
    public InvalidBrokerUriException(string message)
        : base(message)
    {
    }
}
