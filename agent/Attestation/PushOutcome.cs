namespace KcryptPush.Agent.Attestation;

/// <summary>Why the push loop returned.</summary>
public enum PushOutcome
{
    /// <summary>Cancelled (service stopping).</summary>
    Stopped,

    /// <summary>The verifier terminated the node (attestation budget spent): it must stop pushing.</summary>
    Terminated,
}
