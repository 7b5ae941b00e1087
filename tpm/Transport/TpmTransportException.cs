namespace KcryptPush.Tpm.Transport;

/// <summary>The TPM could not be reached, did not answer in time, or sent a frame that is not a TPM response.</summary>
public sealed class TpmTransportException : IOException
{
    public TpmTransportException()
    {
    }

    public TpmTransportException(string message)
        : base(message)
    {
    }

    public TpmTransportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
