using System.Security.Cryptography;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Transport;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Agent.Enrolment;

/// <summary>
/// The agent's side of enrolment (DESIGN.md "Flows") as an explicit state machine:
/// Identify (read EK, EK certificate, AK from the TPM) → Register (RegisterNode, answered by a
/// CredentialChallenge) → Activate (TPM2_ActivateCredential, proof = HMAC keyed by the recovered
/// credential, see CredentialProof) → Prove (CredentialProof, answered by NodeEnrolled) → Enrolled.
/// </summary>
/// <remarks>
/// Transient failures (broker or registrar away, request timeouts, TPM unreachable, rate limit)
/// are retried with capped exponential backoff and jitter, resending the SAME message: the
/// registrar answers a retried RegisterNode (same RegistrationId) with the same open challenge and
/// a retried proof with the same NodeEnrolled, so a retry is never a second enrolment. An expired
/// or unknown challenge starts a new registration. A final EnrolmentRejected, a TPM that refuses
/// activation, or a registrar that refuses the message as malformed ends the loop.
/// </remarks>
public sealed class Enroller(IAgentTpm tpm, IRegistrarClient registrar, EnrolmentSettings settings, ILogger<Enroller> log, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The states of the loop (also logged).</summary>
    public enum Step
    {
        /// <summary>Reading the keys from the TPM.</summary>
        Identify,

        /// <summary>Waiting for the registrar's challenge.</summary>
        Register,

        /// <summary>Recovering the credential in the TPM.</summary>
        Activate,

        /// <summary>Waiting for the registrar to accept the proof.</summary>
        Prove,
    }

    /// <summary>Runs until enrolled, finally refused, <paramref name="cancellationToken"/> fires, or <paramref name="deadline"/> passes.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public async Task<EnrolmentResult> EnrolAsync(CancellationToken cancellationToken, TimeSpan? deadline = null)
    {
        using var timeout = deadline is { } d ? new CancellationTokenSource(d, _time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var state = new State();
        try
        {
            return await RunAsync(state, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            string last = state.LastError is null ? string.Empty : $"; last error: {state.LastError}";
            log.LogError("Enrolment of {Node} timed out after {Deadline} in step {Step}{Last}", state.Identity?.TpmHash ?? "-", deadline, state.Step, last);
            return new EnrolmentResult(EnrolmentStatus.TimedOut,
                $"enrolment timed out after {deadline?.TotalSeconds:0}s while in step {state.Step}{last}", TpmHash: state.Identity?.TpmHash);
        }
    }

    private async Task<EnrolmentResult> RunAsync(State s, CancellationToken ct)
    {
        var backoff = new Backoff(settings.RetryMinDelay, settings.RetryMaxDelay);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                using IDisposable? scope = s.Identity is null ? null : log.BeginScope("node={node}", s.Identity.TpmHash);
                EnrolmentResult? done = await StepAsync(s, backoff, ct).ConfigureAwait(false);
                if (done is not null)
                {
                    return done;
                }
            }
            catch (RegistrarUnavailableException e)
            {
                await PauseAsync(s, backoff, e.Message, ct).ConfigureAwait(false);
            }
            catch (TpmTransportException e)
            {
                await PauseAsync(s, backoff, $"TPM unreachable: {e.Message}", ct).ConfigureAwait(false);
            }
            catch (RegistrarFaultException e)
            {
                return Fail(s, e.Message);
            }
            catch (Exception e) when (e is TpmException or TpmFormatException or TpmProtocolException or InvalidOperationException)
            {
                return Fail(s, s.Step == Step.Activate
                    ? $"the TPM refused credential activation ({OneLine(e.Message)}): the challenge is not bound to this TPM's EK and AK"
                    : $"TPM error in step {s.Step}: {OneLine(e.Message)}");
            }
        }
    }

    /// <summary>Advances one step; returns the result when the enrolment ended.</summary>
    private async Task<EnrolmentResult?> StepAsync(State s, Backoff backoff, CancellationToken ct)
    {
        switch (s.Step)
        {
            case Step.Identify:
                s.Identity = tpm.ReadIdentity();
                log.LogInformation("TPM {Node}: EK certificate {Certificate}, AK {AkName}",
                    s.Identity.TpmHash, s.Identity.EkCertificate is null ? "absent" : "present", Convert.ToHexStringLower(s.Identity.AkName));
                s.Step = Step.Register;
                return null;

            case Step.Register:
                AgentIdentity id = s.Identity!;
                s.Registration ??= new RegisterNode(id.TpmHash, id.EkPublic, id.EkCertificate, id.AkPublic, settings.Hostname, Guid.NewGuid());
                log.LogInformation("Sending RegisterNode for {Node} (registration {RegistrationId})", id.TpmHash, s.Registration.RegistrationId);
                RegistrarReply<CredentialChallenge> registered = await registrar.RegisterAsync(s.Registration, ct).ConfigureAwait(false);
                if (registered.Rejected is { } refused)
                {
                    if (refused.ReasonCode == EnrolmentRejectionReasons.RateLimited)
                    {
                        s.Registration = null;
                        await PauseAsync(s, backoff, $"rate-limited by the registrar: {refused.Message}", ct).ConfigureAwait(false);
                        return null;
                    }

                    return Reject(s, refused);
                }

                s.Challenge = registered.Accepted!;
                log.LogInformation("Challenge {ChallengeId} for {Node}, expires {ExpiresAt:O}", s.Challenge.ChallengeId, id.TpmHash, s.Challenge.ExpiresAt);
                backoff.Reset();
                s.Step = Step.Activate;
                return null;

            case Step.Activate:
                if (_time.GetUtcNow() >= s.Challenge!.ExpiresAt)
                {
                    Restart(s, "the challenge expired before it could be answered");
                    return null;
                }

                byte[] credential = tpm.ActivateCredential(s.Challenge);
                try
                {
                    s.Proof = new CredentialProof(s.Challenge.ChallengeId, s.Identity!.TpmHash,
                        CredentialProofMac.Compute(credential, s.Identity.TpmHash, s.Challenge.ChallengeId));
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(credential);
                }

                s.Step = Step.Prove;
                return null;

            case Step.Prove:
                log.LogInformation("Sending CredentialProof for {Node} (challenge {ChallengeId})", s.Identity!.TpmHash, s.Proof!.ChallengeId);
                RegistrarReply<NodeEnrolled> proved = await registrar.ProveAsync(s.Proof, ct).ConfigureAwait(false);
                if (proved.Rejected is { } rejected)
                {
                    if (rejected.ReasonCode is EnrolmentRejectionReasons.ChallengeExpired or EnrolmentRejectionReasons.ChallengeUnknown)
                    {
                        Restart(s, $"{rejected.ReasonCode}: {rejected.Message}");
                        await PauseAsync(s, backoff, "registering again", ct).ConfigureAwait(false);
                        return null;
                    }

                    return Reject(s, rejected);
                }

                NodeEnrolled enrolled = proved.Accepted!;
                if (enrolled.TpmHash != s.Identity.TpmHash || !enrolled.AkName.AsSpan().SequenceEqual(s.Identity.AkName))
                {
                    return Fail(s, $"the registrar answered with NodeEnrolled for {enrolled.TpmHash} / AK {Convert.ToHexStringLower(enrolled.AkName)}, not this TPM's keys");
                }

                log.LogInformation("Enrolled {Node} as {Hostname} (AK {AkName})", enrolled.TpmHash, enrolled.Hostname, Convert.ToHexStringLower(enrolled.AkName));
                return new EnrolmentResult(EnrolmentStatus.Enrolled, $"enrolled {enrolled.TpmHash}", enrolled, TpmHash: enrolled.TpmHash);

            default:
                throw new InvalidOperationException($"unknown step {s.Step}");
        }
    }

    private void Restart(State s, string why)
    {
        log.LogWarning("Registering {Node} again: {Reason}", s.Identity?.TpmHash, why);
        s.Registration = null;
        s.Challenge = null;
        s.Proof = null;
        s.Step = Step.Register;
    }

    private async Task PauseAsync(State s, Backoff backoff, string why, CancellationToken ct)
    {
        s.LastError = why;
        TimeSpan delay = backoff.Next();
        log.LogWarning("Enrolment of {Node} in step {Step}: {Reason}; retry {Attempt} in {Delay:0.0}s",
            s.Identity?.TpmHash ?? "-", s.Step, why, backoff.Attempt, delay.TotalSeconds);
        await Task.Delay(delay, _time, ct).ConfigureAwait(false);
    }

    private EnrolmentResult Reject(State s, EnrolmentRejected rejected)
    {
        log.LogError("Enrolment of {Node} REJECTED by the registrar in step {Step}: {ReasonCode}: {Message}",
            s.Identity?.TpmHash, s.Step, rejected.ReasonCode, rejected.Message);
        return new EnrolmentResult(EnrolmentStatus.Rejected, $"enrolment rejected ({rejected.ReasonCode}): {OneLine(rejected.Message)}",
            Rejection: rejected, TpmHash: s.Identity?.TpmHash);
    }

    private EnrolmentResult Fail(State s, string message)
    {
        log.LogError("Enrolment of {Node} failed in step {Step}: {Message}", s.Identity?.TpmHash ?? "-", s.Step, message);
        return new EnrolmentResult(EnrolmentStatus.Failed, $"enrolment failed: {message}", TpmHash: s.Identity?.TpmHash);
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");

    private sealed class State
    {
        public Step Step { get; set; } = Step.Identify;

        public AgentIdentity? Identity { get; set; }

        public RegisterNode? Registration { get; set; }

        public CredentialChallenge? Challenge { get; set; }

        public CredentialProof? Proof { get; set; }

        public string? LastError { get; set; }
    }
}
