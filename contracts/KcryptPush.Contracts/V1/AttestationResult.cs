namespace KcryptPush.Contracts.V1;

/// <summary>
/// Verifier → agent, after every <see cref="QuoteSubmitted"/>: the verdict, its reasons, the next
/// challenge, and — only when the quote asked for secrets and the verdict is
/// <see cref="AttestationVerdicts.Pass"/> — the requested secrets sealed to the node's TPM.
/// </summary>
/// <param name="ChallengeId">The challenge the evaluated quote answered.</param>
/// <param name="TpmHash">The node.</param>
/// <param name="Verdict">One of <see cref="AttestationVerdicts"/>.</param>
/// <param name="Reasons">Why (empty on a clean pass).</param>
/// <param name="NextChallenge">The challenge for the next interval, or <c>null</c> when the node must stop (terminated, deleted).</param>
/// <param name="EventLogWanted">
/// True when the verifier has not seen the log digest the quote named for this node: the agent
/// resends at once with the full log, over <paramref name="NextChallenge"/>.
/// </param>
/// <param name="Secrets">Sealed secrets, by label; <c>null</c> unless asked for and released.</param>
/// <param name="MissingSecrets">Labels that were asked for but are not configured for this node.</param>
public sealed record AttestationResult(
    Guid ChallengeId,
    string TpmHash,
    string Verdict,
    AttestationReason[] Reasons,
    Challenge? NextChallenge,
    bool EventLogWanted,
    SealedSecret[]? Secrets,
    string[]? MissingSecrets);
