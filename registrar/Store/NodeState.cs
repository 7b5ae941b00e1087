namespace KcryptPush.Registrar.Store;

/// <summary>The registrar's view of a node.</summary>
public enum NodeState
{
    /// <summary>EK accepted, credential activation not (yet) completed.</summary>
    Pending = 0,

    /// <summary>Credential activation succeeded: the AK lives in the EK's TPM; the verifier was told.</summary>
    Enrolled = 1,
}
