namespace KcryptPush.Tpm.Errors;

/// <summary>
/// The TPM (or what answered in its place) sent a response that does not follow TPM 2.0 Part 1
/// §18 / Part 3 §4 framing: a bad tag, a size that disagrees with the bytes, a truncated body.
/// </summary>
public sealed class TpmProtocolException : Exception
{
    public TpmProtocolException()
    {
    }

    public TpmProtocolException(string message)
        : base(message)
    {
    }

    public TpmProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
