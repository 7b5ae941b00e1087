namespace KcryptPush.Contracts.V1;

/// <summary>The stable <see cref="EnrolmentRejected.ReasonCode"/> values.</summary>
public static class EnrolmentRejectionReasons
{
    /// <summary>The claimed TPM hash is not the SHA-256 of the EK public key sent.</summary>
    public const string TpmHashMismatch = "tpm-hash-mismatch";

    /// <summary>An EK certificate is required and none was sent, and the TPM hash is not allow-listed.</summary>
    public const string EkCertificateMissing = "ek-certificate-missing";

    /// <summary>The EK certificate does not chain to a trusted manufacturer CA, or is not an EK certificate.</summary>
    public const string EkCertificateUntrusted = "ek-certificate-untrusted";

    /// <summary>The EK certificate's public key is not the EK public key sent.</summary>
    public const string EkCertificateKeyMismatch = "ek-certificate-key-mismatch";

    /// <summary>The EK is not a key the registrar can encrypt a credential to (type, size, attributes).</summary>
    public const string EkUnsupported = "ek-unsupported";

    /// <summary>The AK is not a restricted signing key (fixedTPM, fixedParent, sensitiveDataOrigin, restricted, sign, no decrypt).</summary>
    public const string AkAttributes = "ak-attributes";

    /// <summary>
    /// Too many enrolment attempts in the configured window: for this TPM hash (registrations of a
    /// never-enrolled hash, completed enrolments of an enrolled one), or across all nodes
    /// (Registrar:GlobalRegistrationsPerMinute). The agent waits and registers again.
    /// </summary>
    public const string RateLimited = "rate-limited";

    /// <summary>The challenge id is unknown, was issued to another TPM hash, or was already used.</summary>
    public const string ChallengeUnknown = "challenge-unknown";

    /// <summary>The challenge expired before the proof arrived.</summary>
    public const string ChallengeExpired = "challenge-expired";

    /// <summary>The proof HMAC does not match: the AK is not in the EK's TPM (credential activation failed).</summary>
    public const string ProofInvalid = "proof-invalid";
}
