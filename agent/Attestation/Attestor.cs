using KcryptPush.Agent.Enrolment;
using KcryptPush.Contracts.V1;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Agent.Attestation;

/// <summary>
/// One attestation over a held challenge (DESIGN.md "Flows"): quote, PCR values and the event
/// log's SHA-256 in a QuoteSubmitted; when the verifier answers EventLogWanted (it has not seen that
/// digest for this node, e.g. after a reboot) the quote is sent again at once over the result's next
/// challenge, this time with the whole log. A steady node therefore costs one QuoteSubmitted and one
/// AttestationResult per interval.
/// </summary>
/// <remarks>
/// A QuoteSubmitted that got no answer is resent unchanged until its challenge expires: the verifier
/// answers a redelivered message (same bytes) with the stored result, so a retry is never a second,
/// "replayed" quote.
/// </remarks>
public sealed class Attestor(IEvidenceTpm tpm, IVerifierClient verifier, ILogger<Attestor> log, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Pauses between resends of an unanswered quote.</summary>
    public TimeSpan ResendMinDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Cap of the resend backoff.</summary>
    public TimeSpan ResendMaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Attests over <paramref name="challenge"/>, asking for <paramref name="wantedSecrets"/> when given.</summary>
    /// <exception cref="VerifierUnavailableException">No answer before the challenge expired.</exception>
    public async Task<AttestationRound> AttestAsync(
        NodeIdentity node, Challenge challenge, Func<EventLogSnapshot> readLog, string[]? wantedSecrets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(challenge);
        ArgumentNullException.ThrowIfNull(readLog);
        EventLogSnapshot snapshot = readLog();
        AttestationResult result = await SubmitAsync(Build(node, challenge, snapshot, withLog: false, wantedSecrets), challenge, cancellationToken).ConfigureAwait(false);
        if (!result.EventLogWanted)
        {
            return new AttestationRound(result, 1, false);
        }

        if (result.NextChallenge is not { } next)
        {
            log.LogWarning("The verifier wants the event log of {Node} but gave no next challenge", node.TpmHash);
            return new AttestationRound(result, 1, false);
        }

        log.LogInformation("The verifier has not seen event log {LogSha256} of {Node}: sending the whole log ({Bytes} bytes)",
            Convert.ToHexStringLower(snapshot.Sha256), node.TpmHash, snapshot.Bytes.Length);
        result = await SubmitAsync(Build(node, next, snapshot, withLog: true, wantedSecrets), next, cancellationToken).ConfigureAwait(false);
        return new AttestationRound(result, 2, true);
    }

    /// <summary>The QuoteSubmitted for <paramref name="challenge"/> (quote and PCR values from the TPM).</summary>
    public QuoteSubmitted Build(NodeIdentity node, Challenge challenge, EventLogSnapshot snapshot, bool withLog, string[]? wantedSecrets)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(challenge);
        ArgumentNullException.ThrowIfNull(snapshot);
        if (challenge.TpmHash != node.TpmHash)
        {
            throw new InvalidChallengeException($"challenge {challenge.ChallengeId} was issued to {challenge.TpmHash}, not to this node {node.TpmHash}");
        }

        QuoteEvidence evidence = tpm.Quote(challenge);
        return new QuoteSubmitted(challenge.ChallengeId, node.TpmHash, node.AkName, evidence.Attest, evidence.Signature, evidence.Pcrs,
            snapshot.Sha256, withLog ? snapshot.Bytes : null, wantedSecrets is { Length: > 0 } ? wantedSecrets : null, node.Hostname);
    }

    private async Task<AttestationResult> SubmitAsync(QuoteSubmitted quote, Challenge challenge, CancellationToken ct)
    {
        var backoff = new Backoff(ResendMinDelay, ResendMaxDelay);
        while (true)
        {
            try
            {
                return await verifier.SubmitAsync(quote, ct).ConfigureAwait(false);
            }
            catch (VerifierUnavailableException e)
            {
                TimeSpan delay = backoff.Next();
                if (_time.GetUtcNow() + delay >= challenge.ExpiresAt)
                {
                    throw new VerifierUnavailableException($"no answer to the quote over challenge {challenge.ChallengeId} before it expired: {e.Message}", e);
                }

                log.LogWarning("Quote over challenge {ChallengeId} of {Node}: {Reason}; resending the same message in {Delay:0.0}s",
                    challenge.ChallengeId, quote.TpmHash, e.Message, delay.TotalSeconds);
                await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            }
        }
    }
}
