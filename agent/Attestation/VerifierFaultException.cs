namespace KcryptPush.Agent.Attestation;

/// <summary>
/// The verifier refused a message as malformed (a MassTransit <c>Fault</c> carrying
/// MessageValidationException): resending the same message cannot help.
/// </summary>
public sealed class VerifierFaultException : Exception
{
    /// <summary>Creates the exception.</summary>
    public VerifierFaultException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
