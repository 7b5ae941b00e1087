using KcryptPush.Contracts.V1;

namespace KcryptPush.Agent.Attestation;

/// <summary>
/// The verifier's two requests (request/response over the broker). Implementations throw
/// <see cref="VerifierUnavailableException"/> for anything worth retrying and
/// <see cref="VerifierFaultException"/> when the verifier refused the message itself.
/// </summary>
public interface IVerifierClient
{
    /// <summary>RequestChallenge → Challenge or AttestationRefused.</summary>
    Task<ChallengeReply> RequestChallengeAsync(string tpmHash, CancellationToken cancellationToken);

    /// <summary>QuoteSubmitted → AttestationResult.</summary>
    Task<AttestationResult> SubmitAsync(QuoteSubmitted quote, CancellationToken cancellationToken);
}
