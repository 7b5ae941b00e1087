namespace KcryptPush.Agent.Enrolment;

/// <summary>The registrar could not be asked or did not answer in time (broker away, registrar away): transient.</summary>
public sealed class RegistrarUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RegistrarUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
