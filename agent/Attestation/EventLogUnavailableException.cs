namespace KcryptPush.Agent.Attestation;

/// <summary>The measured-boot event log cannot be read (missing file, no permission): retried, and logged as an error.</summary>
public sealed class EventLogUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EventLogUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
