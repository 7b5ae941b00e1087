namespace KcryptPush.Agent.Enrolment;

/// <summary>
/// The registrar refused the message as malformed (a MassTransit <c>Fault</c> carrying
/// MessageValidationException): resending the same message cannot help, so enrolment stops.
/// </summary>
public sealed class RegistrarFaultException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RegistrarFaultException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
