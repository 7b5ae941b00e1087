namespace KcryptPush.Agent.Attestation;

/// <summary>A challenge the agent cannot answer (unknown bank, PCR out of range, nonce too long): dropped, a new one is asked for.</summary>
public sealed class InvalidChallengeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InvalidChallengeException(string message)
        : base(message)
    {
    }
}
