namespace KcryptPush.Agent.Attestation;

/// <summary>
/// Every quote of an attempt series was followed by PCR values that no longer hash to its
/// pcrDigest: PCRs are being extended faster than a quote and a read. Nothing was sent (the
/// verifier would quarantine the node for a PCR digest mismatch); retried later with backoff.
/// </summary>
public sealed class PcrsKeptChangingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PcrsKeptChangingException(string message)
        : base(message)
    {
    }
}
