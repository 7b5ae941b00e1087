namespace KcryptPush.Contracts.V1;

/// <summary>
/// Agent → verifier, every interval: a TPM2_Quote over the challenge's nonce and PCR selection,
/// the PCR values it covers, and the measured-boot event log (or only its digest). The verifier
/// answers with <see cref="AttestationResult"/> sent to the message's response address.
/// </summary>
/// <param name="ChallengeId">The challenge this quote answers.</param>
/// <param name="TpmHash">The node; checked against the enrolled record, never trusted alone.</param>
/// <param name="AkName">The Name of the AK that signed (nameAlg ‖ H(TPMT_PUBLIC)); must equal the enrolled AK's.</param>
/// <param name="Attest">The TPMS_ATTEST bytes exactly as signed (TPM2B_ATTEST contents).</param>
/// <param name="Signature">The TPMT_SIGNATURE bytes.</param>
/// <param name="Pcrs">The PCR values covered by the quote, per bank.</param>
/// <param name="EventLogSha256">SHA-256 of the whole binary event log the agent holds (32 bytes).</param>
/// <param name="EventLog">
/// The whole binary event log, or <c>null</c>: the agent sends it only when the verifier has not
/// seen <paramref name="EventLogSha256"/> for this node (a previous result said
/// <see cref="AttestationResult.EventLogWanted"/>), so a steady node sends a few KB per interval.
/// </param>
/// <param name="WantedSecrets">
/// Labels of the partition secrets the agent asks to be released (the kcrypt discovery call), or
/// <c>null</c>/empty on an ordinary interval. Secrets are never sent unless asked for.
/// </param>
/// <param name="Hostname">Informational only.</param>
/// <param name="ReleaseKeyPublic">
/// With <paramref name="WantedSecrets"/>: the TPMT_PUBLIC bytes (no TPM2B size) of the release key the
/// agent created for this release (NULL hierarchy, authPolicy = PolicyPCR(quoted PCRs) ∧
/// PolicyCounterTimer(resetCount) ∧ PolicyCommandCode(ActivateCredential)); secrets are bound to its
/// Name. <c>null</c> when no secret is asked for.
/// </param>
/// <remarks>
/// Evidence binding: the quote's extraData is SHA-256(challenge nonce ‖ <paramref name="EventLogSha256"/> ‖
/// Name of <paramref name="ReleaseKeyPublic"/>, or nothing), so the AK signs the log digest and the
/// release key with the nonce; a message whose fields contradict what was signed is a forgery.
/// </remarks>
public sealed record QuoteSubmitted(
    Guid ChallengeId,
    string TpmHash,
    byte[] AkName,
    byte[] Attest,
    byte[] Signature,
    PcrBankValues[] Pcrs,
    byte[] EventLogSha256,
    byte[]? EventLog,
    string[]? WantedSecrets,
    string Hostname,
    byte[]? ReleaseKeyPublic = null);
