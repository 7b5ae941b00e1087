namespace KcryptPush.Messaging;

/// <summary>
/// A message is structurally invalid (missing field, wrong size, unparseable TPM structure).
/// Never retried: the bus moves the message to the endpoint's <c>_error</c> queue with this
/// exception's type and message in the MassTransit fault headers (<c>MT-Fault-ExceptionType</c>,
/// <c>MT-Fault-Message</c>), and a requester receives a <c>Fault&lt;T&gt;</c> at once.
/// </summary>
public sealed class MessageValidationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the field.</param>
    /// <param name="inner">The parser's exception, if any.</param>
    public MessageValidationException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
