using System.Security.Cryptography;
using System.Text;
using KcryptPush.Agent.Attestation;
using KcryptPush.Agent.Enrolment;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Transport;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Agent.Discovery;

/// <summary>
/// The kcrypt discovery call: attest now, asking for the partition's secret (QuoteSubmitted with
/// WantedSecrets = [label]), and open what the verifier releases with the TPM
/// (TPM2_ActivateCredential with the release key made for this quote, then AES-GCM). Transient
/// failures (broker or verifier away, TPM busy, a TPM reset since the quote) are retried until the
/// deadline; a verdict, and a TPM that refuses the release key's policy (PCRs moved since the
/// quote), are final: nothing is printed but the reason.
/// </summary>
public sealed class DiscoveryClient(
    IAgentTpm identityTpm, IEvidenceTpm evidenceTpm, IVerifierClient verifier, Attestor attestor, PushSettings settings, string hostname, ILogger<DiscoveryClient> log)
{
    /// <summary>Gets the passphrase of <paramref name="label"/> within <paramref name="timeout"/>.</summary>
    public async Task<DiscoveryOutcome> GetPassphraseAsync(string label, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        using var deadline = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var backoff = new Backoff(settings.RetryMinDelay, settings.RetryMaxDelay);
        string? lastError = null;
        NodeIdentity? node = null;
        try
        {
            while (true)
            {
                try
                {
                    if (node is null)
                    {
                        AgentIdentity id = identityTpm.ReadIdentity();
                        node = new NodeIdentity(id.TpmHash, id.AkName, hostname);
                    }

                    return await AttestOnceAsync(node, label, linked.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is VerifierUnavailableException or TpmTransportException or EventLogUnavailableException or PcrsKeptChangingException
                    or ReleaseKeyGoneException)
                {
                    lastError = e.Message.ReplaceLineEndings(" ");
                    TimeSpan delay = backoff.Next();
                    log.LogWarning("Discovery for {Label}: {Reason}; retry in {Delay:0.0}s", label, lastError, delay.TotalSeconds);
                    await Task.Delay(delay, linked.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return DiscoveryOutcome.Failed($"timed out after {timeout.TotalSeconds:0}s waiting for the verifier to release '{label}'"
                + (lastError is null ? string.Empty : $" (last error: {lastError})"));
        }
        catch (Exception e) when (e is VerifierFaultException or InvalidChallengeException or TpmException or TpmFormatException or TpmProtocolException)
        {
            return DiscoveryOutcome.Failed($"attestation failed on this node: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    private async Task<DiscoveryOutcome> AttestOnceAsync(NodeIdentity node, string label, CancellationToken ct)
    {
        ChallengeReply reply = await verifier.RequestChallengeAsync(node.TpmHash, ct).ConfigureAwait(false);
        if (reply.Refused is { } refused)
        {
            string what = refused.ReasonCode == AttestationReasonCodes.NodeUnknown ? "unknown node" : "refused";
            return DiscoveryOutcome.Failed($"{what} ({refused.ReasonCode}): {refused.Message}");
        }

        AttestationRound round = await attestor.AttestAsync(node, reply.Challenge!, () => EventLogSnapshot.Read(settings.EventLogPath), [label], ct).ConfigureAwait(false);
        AttestationResult result = round.Result;
        switch (result.Verdict)
        {
            case AttestationVerdicts.Pass:
                if (result.Secrets?.FirstOrDefault(s => s.Label == label) is { } sealedSecret)
                {
                    byte[] plain = evidenceTpm.OpenSecret(node.TpmHash, sealedSecret, round.Evidence);
                    try
                    {
                        log.LogInformation("Secret for {Label} released to {Node} and opened with the TPM", label, node.TpmHash);
                        return DiscoveryOutcome.Released(Encoding.UTF8.GetString(plain));
                    }
                    finally
                    {
                        CryptographicOperations.ZeroMemory(plain);
                    }
                }

                return DiscoveryOutcome.Failed($"not configured: the verifier holds no secret for partition label '{label}' of node {node.TpmHash}");

            case AttestationVerdicts.Fail:
                return DiscoveryOutcome.Failed($"quarantined: attestation of {node.TpmHash} failed: "
                    + string.Join("; ", result.Reasons.Select(r => $"{r.Code}: {r.Message}")));

            case AttestationVerdicts.Terminated:
                return DiscoveryOutcome.Failed($"terminated: node {node.TpmHash} spent its attestation budget; no secret is released");

            default:
                throw new VerifierUnavailableException($"the verifier answered '{result.Verdict}' without judging the quote");
        }
    }
}
