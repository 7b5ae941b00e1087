using KcryptPush.Contracts.V1;

namespace KcryptPush.Agent.Attestation;

/// <summary>
/// One attestation: the verifier's final result, how many QuoteSubmitted it took (1, or 2 when the
/// log was wanted), whether the full log was sent, and the evidence the final result judged (its
/// release key opens what the result released).
/// </summary>
public sealed record AttestationRound(AttestationResult Result, int QuotesSent, bool EventLogSent, QuoteEvidence Evidence);
