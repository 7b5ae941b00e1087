namespace KcryptPush.Agent.Attestation;

/// <summary>
/// Where the verifier consumes RequestChallenge and QuoteSubmitted. The agent must not reference
/// the verifier (DESIGN.md: the agent never loads replay or policy code), so the queue name is
/// repeated here; it is the verifier's <c>VerifierAttestationRegistration.Queue</c>.
/// </summary>
public static class VerifierQueue
{
    /// <summary>The queue name.</summary>
    public const string Name = "kcrypt-push-verifier-attestation";

    /// <summary>The MassTransit short address, for request clients.</summary>
    public static Uri Address { get; } = new("queue:" + Name);
}
