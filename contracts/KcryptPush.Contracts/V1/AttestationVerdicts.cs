namespace KcryptPush.Contracts.V1;

/// <summary>The stable <see cref="AttestationResult.Verdict"/> values.</summary>
public static class AttestationVerdicts
{
    /// <summary>Evidence valid and policy satisfied: the node is trusted.</summary>
    public const string Pass = "pass";

    /// <summary>Evidence broken or policy violated: the node is quarantined.</summary>
    public const string Fail = "fail";

    /// <summary>Nothing was judged (e.g. the event log is needed first); resend over the next challenge.</summary>
    public const string Retry = "retry";

    /// <summary>The node's attestation budget is spent: it is done, stop pushing (not a failure).</summary>
    public const string Terminated = "terminated";
}
