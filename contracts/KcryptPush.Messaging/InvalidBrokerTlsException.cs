namespace KcryptPush.Messaging;

/// <summary>
/// A TLS file named by <c>Broker:CaFile</c>, <c>Broker:ClientCertificateFile</c> or
/// <c>Broker:ClientKeyFile</c> is missing, unreadable or not the PEM it should be, or TLS
/// files are configured for a plain <c>amqp://</c> broker.
/// </summary>
public sealed class InvalidBrokerTlsException : FormatException
{
    /// <summary>Creates the exception; <paramref name="message"/> names the option and the file.</summary>
    public InvalidBrokerTlsException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
