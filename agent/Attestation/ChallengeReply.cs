using KcryptPush.Contracts.V1;

namespace KcryptPush.Agent.Attestation;

/// <summary>The verifier's answer to RequestChallenge: exactly one of <paramref name="Challenge"/> and <paramref name="Refused"/> is set.</summary>
public sealed record ChallengeReply(Challenge? Challenge, AttestationRefused? Refused);
