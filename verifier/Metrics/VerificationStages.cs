namespace KcryptPush.Verifier.Metrics;

/// <summary>The <c>stage</c> values of <c>kcrypt_push_verification_duration_seconds</c>.</summary>
public static class VerificationStages
{
    /// <summary>The quote's signature, the evidence binding and the reported PCRs against the signed digest.</summary>
    public const string Quote = "quote";

    /// <summary>Parsing (or the cache) and replaying the event log against the quoted PCRs.</summary>
    public const string Replay = "replay";

    /// <summary>Every policy over the validated evidence.</summary>
    public const string Policy = "policy";

    /// <summary>Writing the node record and its history entry.</summary>
    public const string Store = "store";
}
