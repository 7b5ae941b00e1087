using KcryptPush.Contracts.V1;

namespace KcryptPush.Agent.Attestation;

/// <summary>One attestation: the verifier's final result, how many QuoteSubmitted it took (1, or 2 when the log was wanted) and whether the full log was sent.</summary>
public sealed record AttestationRound(AttestationResult Result, int QuotesSent, bool EventLogSent);
