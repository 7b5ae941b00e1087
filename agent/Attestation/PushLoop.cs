using KcryptPush.Agent.Enrolment;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Transport;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Agent.Attestation;

/// <summary>
/// The agent's push loop (DESIGN.md "Flows"): RequestChallenge only at start or when no valid
/// challenge is held (none yet, expired, refused, lost with an unanswered quote); then every
/// interval (± jitter) a quote over the held challenge, whose result carries the next one. A
/// terminated node stops pushing; everything else (broker or verifier away, TPM unreachable, log
/// unreadable, a challenge it cannot answer) is logged and retried with capped exponential backoff,
/// never a crash. A broker that cannot be reached is tried again within <see cref="PushSettings.BrokerRetryMaxDelay"/>.
/// </summary>
public sealed class PushLoop(Attestor attestor, IVerifierClient verifier, PushSettings settings, ILogger<PushLoop> log, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Raised after every finished attestation (tests and status).</summary>
    public event Action<AttestationRound>? Attested;

    /// <summary>Runs until cancelled or terminated.</summary>
    public async Task<PushOutcome> RunAsync(NodeIdentity node, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        var backoff = new Backoff(settings.RetryMinDelay, settings.RetryMaxDelay);
        Challenge? held = null;
        string? lastVerdict = null;
        using IDisposable? scope = log.BeginScope("node={node}", node.TpmHash);
        log.LogInformation("Pushing attestations for {Node} every {Interval:0.###}s (event log {EventLog})", node.TpmHash, settings.Interval.TotalSeconds, settings.EventLogPath);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (held is null || _time.GetUtcNow() >= held.ExpiresAt)
                {
                    ChallengeReply reply = await verifier.RequestChallengeAsync(node.TpmHash, cancellationToken).ConfigureAwait(false);
                    if (reply.Refused is { } refused)
                    {
                        if (refused.ReasonCode == AttestationReasonCodes.NodeNotAttesting)
                        {
                            log.LogWarning("The verifier refuses challenges for {Node}: {ReasonCode}: {Message}; not pushing any more", node.TpmHash, refused.ReasonCode, refused.Message);
                            return PushOutcome.Terminated;
                        }

                        await PauseAsync(backoff, $"the verifier refused a challenge: {refused.ReasonCode}: {refused.Message}", LogLevel.Error, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    held = reply.Challenge!;
                    log.LogDebug("Challenge {ChallengeId} for {Node}, expires {ExpiresAt:O}", held.ChallengeId, node.TpmHash, held.ExpiresAt);
                }

                Challenge answering = held;
                held = null; // used up, whatever happens next
                AttestationRound round = await attestor.AttestAsync(node, answering, () => EventLogSnapshot.Read(settings.EventLogPath), null, cancellationToken).ConfigureAwait(false);
                AttestationResult result = round.Result;
                if (AnsweredTooLate(result))
                {
                    // The quote reached the verifier after its challenge expired (a resend across a broker
                    // outage): nothing was recorded, so the node has no fresh evidence. Ask again soon, not
                    // an interval later, but with backoff so a verifier that keeps saying so is no busy loop.
                    await PauseAsync(backoff, $"challenge {result.ChallengeId} expired before the verifier received the quote; nothing was recorded, asking for a new challenge", LogLevel.Information, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                backoff.Reset();
                held = result.NextChallenge;
                Report(node, result, round, lastVerdict);
                lastVerdict = result.Verdict;
                Attested?.Invoke(round);
                if (result.Verdict == AttestationVerdicts.Terminated)
                {
                    log.LogWarning("Node {Node} is terminated by the verifier (attestation budget spent): not pushing any more", node.TpmHash);
                    return PushOutcome.Terminated;
                }

                await Task.Delay(settings.NextDelay(), _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (VerifierUnavailableException e)
            {
                await PauseAsync(backoff, e.Message, LogLevel.Warning, cancellationToken, e.BrokerLost ? settings.BrokerRetryMaxDelay : null).ConfigureAwait(false);
            }
            catch (VerifierFaultException e)
            {
                held = null;
                await PauseAsync(backoff, e.Message, LogLevel.Error, cancellationToken).ConfigureAwait(false);
            }
            catch (EventLogUnavailableException e)
            {
                await PauseAsync(backoff, e.Message, LogLevel.Error, cancellationToken).ConfigureAwait(false);
            }
            catch (PcrsKeptChangingException e)
            {
                held = null;
                await PauseAsync(backoff, e.Message, LogLevel.Warning, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidChallengeException e)
            {
                held = null;
                await PauseAsync(backoff, e.Message, LogLevel.Error, cancellationToken).ConfigureAwait(false);
            }
            catch (TpmTransportException e)
            {
                held = null;
                await PauseAsync(backoff, $"TPM unreachable: {e.Message}", LogLevel.Warning, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TpmException or TpmFormatException or TpmProtocolException or ArgumentException)
            {
                held = null;
                await PauseAsync(backoff, $"the TPM could not quote: {e.Message.ReplaceLineEndings(" ")}", LogLevel.Error, cancellationToken).ConfigureAwait(false);
            }
        }

        return PushOutcome.Stopped;
    }

    private static bool AnsweredTooLate(AttestationResult result) =>
        result.Verdict == AttestationVerdicts.Fail && result.Reasons.Length > 0
        && result.Reasons.All(r => r.Code == AttestationReasonCodes.ChallengeExpired);

    private void Report(NodeIdentity node, AttestationResult result, AttestationRound round, string? lastVerdict)
    {
        string reasons = string.Join("; ", result.Reasons.Select(r => $"{r.Code}: {r.Message}"));
        if (result.Verdict == AttestationVerdicts.Fail)
        {
            log.LogWarning("Attestation of {Node} FAILED (challenge {ChallengeId}, {Quotes} quote(s), log sent: {LogSent}): {Reasons}",
                node.TpmHash, result.ChallengeId, round.QuotesSent, round.EventLogSent, reasons);
        }
        else if (result.Verdict != lastVerdict || round.EventLogSent)
        {
            log.LogInformation("Attestation of {Node}: {Verdict} (challenge {ChallengeId}, {Quotes} quote(s), log sent: {LogSent}){Reasons}",
                node.TpmHash, result.Verdict, result.ChallengeId, round.QuotesSent, round.EventLogSent, reasons.Length == 0 ? string.Empty : ": " + reasons);
        }
        else
        {
            log.LogDebug("Attestation of {Node}: {Verdict} (challenge {ChallengeId})", node.TpmHash, result.Verdict, result.ChallengeId);
        }
    }

    private async Task PauseAsync(Backoff backoff, string why, LogLevel level, CancellationToken ct, TimeSpan? cap = null)
    {
        TimeSpan delay = backoff.Next(cap);
        log.Log(level, "Attestation: {Reason}; retry {Attempt} in {Delay:0.0}s", why, backoff.Attempt, delay.TotalSeconds);
        try
        {
            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
