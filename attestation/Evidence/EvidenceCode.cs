namespace KcryptPush.Attestation.Evidence;

/// <summary>
/// Why evidence failed, one code per check of DESIGN.md "Verification, in order" (3)-(7). The
/// verifier answers each with its own contract reason code; a new code is a compile-time decision
/// there, never a default branch.
/// </summary>
public enum EvidenceCode
{
    /// <summary>The log in the message does not hash to the digest the message names.</summary>
    EventLogDigestMismatch,

    /// <summary>The enrolled AK's TPMT_PUBLIC does not parse.</summary>
    AkMalformed,

    /// <summary>The enrolled AK cannot verify anything (attributes, nameAlg, scheme, key import).</summary>
    AkUnusable,

    /// <summary>TPMS_ATTEST or TPMT_SIGNATURE does not parse, or is not a quote (magic, type).</summary>
    QuoteMalformed,

    /// <summary>extraData is not the binding of this challenge's nonce, the named log digest and release key.</summary>
    NonceMismatch,

    /// <summary>The quote signed no release key, but the message carries one.</summary>
    ReleaseKeyMismatch,

    /// <summary>The signature does not verify with the AK, or its scheme is not the AK's.</summary>
    SignatureInvalid,

    /// <summary>The reported PCR values do not hash to the signed pcrDigest (or are missing, or of the wrong size).</summary>
    PcrDigestMismatch,

    /// <summary>Signed and consistent, but over another PCR selection than the one asked for.</summary>
    PcrSelectionMismatch,

    /// <summary>Signed and consistent, but qualifiedSigner is not the AK's qualified name.</summary>
    QualifiedSignerMismatch,

    /// <summary>Clock, resetCount or restartCount went backwards below the challenge's floor.</summary>
    ClockWentBackwards,

    /// <summary>The release key is not the template bound to these PCR values and this boot.</summary>
    ReleaseKeyInvalid,

    /// <summary>The event log does not parse.</summary>
    EventLogMalformed,

    /// <summary>The event log does not replay to the quoted PCR values, or covers no quoted bank.</summary>
    EventLogReplayMismatch,
}
