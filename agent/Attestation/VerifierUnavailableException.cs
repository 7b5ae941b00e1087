namespace KcryptPush.Agent.Attestation;

/// <summary>The verifier could not be asked or did not answer in time (broker or verifier away): transient, retried with backoff.</summary>
public sealed class VerifierUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public VerifierUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <summary>The broker could not be reached or the connection broke (<see cref="Bus.BrokerLostException"/>):
    /// worth trying again within seconds, unlike a verifier that did not answer.</summary>
    public bool BrokerLost { get; init; }
}
