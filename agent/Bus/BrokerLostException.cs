namespace KcryptPush.Agent.Bus;

/// <summary>
/// The broker could not be reached, or the connection to it broke while a request waited: nothing was
/// refused and nothing timed out, so the agent tries again within a few seconds (Agent:BrokerRetryMaxDelay)
/// and is back soon after the broker is. A refused login or TLS handshake is not this: those stay
/// <see cref="BusRequestException"/> and wait the long backoff.
/// </summary>
public sealed class BrokerLostException : BusRequestException
{
    /// <summary>Creates the exception.</summary>
    public BrokerLostException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
