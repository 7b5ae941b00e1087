using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Store;
using MassTransit;

namespace KcryptPush.Verifier.Attestation;

/// <summary>
/// Answers RequestChallenge (request/response on <c>kcrypt-push-verifier-attestation</c>) with a
/// fresh <see cref="Challenge"/>, or <see cref="AttestationRefused"/> for an unknown (not enrolled)
/// or terminated node, or one over its request limits (<see cref="NodeRateLimiter"/>).
/// </summary>
public sealed class RequestChallengeConsumer(IVerifierStore store, ChallengeIssuer issuer, NodeRateLimiter limits, TimeProvider time)
    : IConsumer<RequestChallenge>
{
    /// <inheritdoc/>
    public async Task Consume(ConsumeContext<RequestChallenge> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string tpmHash = context.Message.TpmHash;
        if (tpmHash is not { Length: 64 } || !tpmHash.All(char.IsAsciiHexDigitLower))
        {
            throw new MessageValidationException("RequestChallenge.TpmHash must be 64 lowercase hex digits");
        }

        if (store.FindNode(tpmHash) is null)
        {
            await context.RespondAsync(new AttestationRefused(tpmHash, AttestationReasonCodes.NodeUnknown,
                $"no enrolled node has TPM hash {tpmHash}: enrol with the registrar first.")).ConfigureAwait(false);
            return;
        }

        if (store.FindAttestation(tpmHash) is { State: NodeStates.Terminated } rec)
        {
            await context.RespondAsync(new AttestationRefused(tpmHash, AttestationReasonCodes.NodeNotAttesting,
                $"node {tpmHash} spent its attestation budget ({rec.AttestationsPassed} passes) and is terminated: stop pushing.")).ConfigureAwait(false);
            return;
        }

        if (!limits.TryRequestChallenge(tpmHash, time.GetUtcNow().UtcDateTime, out string? refusal))
        {
            await context.RespondAsync(new AttestationRefused(tpmHash, AttestationReasonCodes.RateLimited, refusal!)).ConfigureAwait(false);
            return;
        }

        Challenge challenge = issuer.Issue(tpmHash);
        limits.Requested(tpmHash, challenge.ChallengeId, challenge.ExpiresAt.UtcDateTime);
        await context.RespondAsync(challenge).ConfigureAwait(false);
    }
}
