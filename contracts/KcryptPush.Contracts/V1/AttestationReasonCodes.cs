namespace KcryptPush.Contracts.V1;

/// <summary>
/// The stable reason codes of verdicts, one per check of DESIGN.md "Verification, in order", then
/// the policy codes. Evidence codes mean the evidence itself is broken or forged; policy codes
/// mean valid evidence of a boot the policy does not accept.
/// </summary>
public static class AttestationReasonCodes
{
    // 1. Node and AK.
    /// <summary>No enrolled node has this TPM hash.</summary>
    public const string NodeUnknown = "node-unknown";
    /// <summary>The node was terminated (attestation budget spent) or deleted.</summary>
    public const string NodeNotAttesting = "node-not-attesting";
    /// <summary>The AK Name in the message is not the enrolled AK's.</summary>
    public const string AkMismatch = "ak-mismatch";

    // 2. Nonce.
    /// <summary>The challenge id is unknown or was issued to another node.</summary>
    public const string ChallengeUnknown = "challenge-unknown";
    /// <summary>The challenge expired.</summary>
    public const string ChallengeExpired = "challenge-expired";
    /// <summary>The challenge was already answered (a replayed quote).</summary>
    public const string ChallengeReused = "challenge-reused";

    // 3.-5. The quote.
    /// <summary>TPMS_ATTEST or TPMT_SIGNATURE does not parse, or magic/type are wrong.</summary>
    public const string QuoteMalformed = "quote-malformed";
    /// <summary>extraData is not SHA-256(this challenge's nonce ‖ the message's log digest ‖ its release key's Name): not signed over our nonce.</summary>
    public const string NonceMismatch = "nonce-mismatch";
    /// <summary>The release key in the message is not the one the quote signed (a copy with another key).</summary>
    public const string ReleaseKeyMismatch = "release-key-mismatch";
    /// <summary>The signed release key is not bound to the quoted PCRs, this boot's resetCount and ActivateCredential, or may be used without that policy.</summary>
    public const string ReleaseKeyInvalid = "release-key-invalid";
    /// <summary>The quoted PCR selection is not the one asked for.</summary>
    public const string PcrSelectionMismatch = "pcr-selection-mismatch";
    /// <summary>The signature does not verify with the enrolled AK.</summary>
    public const string SignatureInvalid = "signature-invalid";
    /// <summary>The quote's PCR digest is not the hash of the reported PCR values.</summary>
    public const string PcrDigestMismatch = "pcr-digest-mismatch";

    /// <summary>The quote's qualifiedSigner is not the enrolled AK's qualified name (a primary key of the endorsement hierarchy).</summary>
    public const string QualifiedSignerMismatch = "qualified-signer-mismatch";

    // 6. Clock.
    /// <summary>Clock, resetCount or restartCount went backwards.</summary>
    public const string ClockWentBackwards = "clock-went-backwards";

    // 7. Event log.
    /// <summary>The event log does not parse.</summary>
    public const string EventLogMalformed = "event-log-malformed";
    /// <summary>The event log's SHA-256 is not the digest the quote signed (the log or its digest was changed in the message).</summary>
    public const string EventLogDigestMismatch = "event-log-digest-mismatch";
    /// <summary>Asked for the event log whose digest it signed, the node answered twice without it.</summary>
    public const string EventLogWithheld = "event-log-withheld";
    /// <summary>The event log does not replay to the quoted PCR values: tampered or truncated evidence.</summary>
    public const string EventLogReplayMismatch = "event-log-replay-mismatch";

    // 8. Policy.
    /// <summary>A PCR value differs from the enforced value of the node's policy.</summary>
    public const string PcrPolicyViolation = "pcr-policy-violation";
    /// <summary>A measured-boot policy rule failed (Secure Boot state, db/dbx, boot applications...).</summary>
    public const string BootPolicyViolation = "boot-policy-violation";
    /// <summary>Re-learning was needed but the node's rate limit is spent.</summary>
    public const string RelearnRateLimited = "relearn-rate-limited";

    /// <summary>The TPM's firmwareVersion is below the verifier's minimum (Verifier:MinTpmFirmwareVersion).</summary>
    public const string TpmFirmwareTooOld = "tpm-firmware-too-old";

    // Limits.
    /// <summary>Too many requests or quotes from this node; refused without being judged and without changing anything.</summary>
    public const string RateLimited = "rate-limited";

    // Operator.
    /// <summary>An operator quarantined the node.</summary>
    public const string OperatorQuarantine = "operator-quarantine";
}
