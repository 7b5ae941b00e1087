using KcryptPush.Contracts.V1;

namespace KcryptPush.Verifier.Attestation;

/// <summary>What the pipeline decided for one QuoteSubmitted: the result for the agent and, on a state change, the verdict event.</summary>
/// <param name="Result">Sent to the message's response address.</param>
/// <param name="Verdict">The verdict event staged in the node's record for the verdict exchange; null when the state did not change (or on a redelivery).</param>
public sealed record AttestationOutcome(AttestationResult Result, INodeVerdict? Verdict)
{
    /// <summary>Answered without being judged (unknown node, forged, replayed, rate limited, terminated): nothing recorded.</summary>
    public bool Rejected { get; init; }

    /// <summary>The stored result of a message judged before, sent again.</summary>
    public bool Redelivery { get; init; }
}
