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
        (QuoteSubmitted first, QuoteEvidence firstEvidence, EventLogSnapshot snapshot) = Build(node, challenge, readLog, withLog: false, wantedSecrets);
        AttestationResult result = await SubmitAsync(first, challenge, cancellationToken).ConfigureAwait(false);
        if (!result.EventLogWanted)
        {
            return new AttestationRound(result, 1, false, firstEvidence);
        }

        if (result.NextChallenge is not { } next)
        {
            log.LogWarning("The verifier wants the event log of {Node} but gave no next challenge", node.TpmHash);
            return new AttestationRound(result, 1, false, firstEvidence);
        }

        log.LogInformation("The verifier has not seen event log {LogSha256} of {Node}: sending the whole log ({Bytes} bytes)",
            Convert.ToHexStringLower(snapshot.Sha256), node.TpmHash, snapshot.Bytes.Length);
        (QuoteSubmitted second, QuoteEvidence secondEvidence, _) = Build(node, next, readLog, withLog: true, wantedSecrets);
        result = await SubmitAsync(second, next, cancellationToken).ConfigureAwait(false);
        return new AttestationRound(result, 2, true, secondEvidence);
    }

    /// <summary>Quote-and-log reads taken before giving up when the event log keeps growing during the quote.</summary>
    public const int MaxLogAttempts = 5;

    /// <summary>
    /// The QuoteSubmitted for <paramref name="challenge"/>: the log is read before the quote (its digest is
    /// signed in the quote's extraData) and again after it; a log that grew in between (a measurement
    /// landed during the quote) means quote again, so the signed digest is the log that is sent.
    /// </summary>
    /// <exception cref="PcrsKeptChangingException">The log changed during every one of <see cref="MaxLogAttempts"/> quotes.</exception>
    public (QuoteSubmitted Message, QuoteEvidence Evidence, EventLogSnapshot Log) Build(
        NodeIdentity node, Challenge challenge, Func<EventLogSnapshot> readLog, bool withLog, string[]? wantedSecrets)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(challenge);
        ArgumentNullException.ThrowIfNull(readLog);
        if (challenge.TpmHash != node.TpmHash)
        {
            throw new InvalidChallengeException($"challenge {challenge.ChallengeId} was issued to {challenge.TpmHash}, not to this node {node.TpmHash}");
        }

        bool release = wantedSecrets is { Length: > 0 };
        EventLogSnapshot snapshot = readLog();
        for (int attempt = 1; attempt <= MaxLogAttempts; attempt++)
        {
            QuoteEvidence evidence = tpm.Quote(challenge, snapshot.Sha256, release);
            EventLogSnapshot after = readLog();
            if (after.Sha256.AsSpan().SequenceEqual(snapshot.Sha256))
            {
                var message = new QuoteSubmitted(challenge.ChallengeId, node.TpmHash, node.AkName, evidence.Attest, evidence.Signature, evidence.Pcrs,
                    snapshot.Sha256, withLog ? snapshot.Bytes : null, release ? wantedSecrets : null, node.Hostname, evidence.ReleaseKeyPublic);
                return (message, evidence, snapshot);
            }

            log.LogInformation("The event log of {Node} changed during the quote over challenge {ChallengeId}: quoting again", node.TpmHash, challenge.ChallengeId);
            snapshot = after;
        }

        throw new PcrsKeptChangingException(
            $"the event log changed during each of {MaxLogAttempts} quotes in a row over challenge {challenge.ChallengeId}; nothing sent");
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
