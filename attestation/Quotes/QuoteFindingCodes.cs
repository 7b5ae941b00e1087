namespace KcryptPush.Attestation.Quotes;

/// <summary>
/// Finding codes of AK and quote verification (DESIGN "Verification, in order"). Each check
/// has its own code so an operator can tell a replayed nonce from a forged signature.
/// </summary>
public static class QuoteFindingCodes
{
    /// <summary>The AK TPMT_PUBLIC does not parse.</summary>
    public const string AkMalformed = "AkMalformed";

    /// <summary>The AK is neither RSA nor ECC, or uses a curve/exponent .NET cannot use.</summary>
    public const string AkTypeUnsupported = "AkTypeUnsupported";

    /// <summary>The AK's public key cannot be imported (bad modulus, point not on the curve).</summary>
    public const string AkKeyInvalid = "AkKeyInvalid";

    /// <summary>AK lacks restricted: it could sign forged TPMS_ATTEST.</summary>
    public const string AkNotRestricted = "AkNotRestricted";

    /// <summary>AK lacks sign.</summary>
    public const string AkNotSigning = "AkNotSigning";

    /// <summary>AK lacks fixedTPM: it could live outside this TPM.</summary>
    public const string AkNotFixedTpm = "AkNotFixedTpm";

    /// <summary>AK lacks fixedParent.</summary>
    public const string AkNotFixedParent = "AkNotFixedParent";

    /// <summary>AK lacks sensitiveDataOrigin: its private key may have been imported.</summary>
    public const string AkNotSensitiveDataOrigin = "AkNotSensitiveDataOrigin";

    /// <summary>AK has decrypt: a restricted decrypt+sign key is a storage key, not an AK.</summary>
    public const string AkDecryptForbidden = "AkDecryptForbidden";

    /// <summary>The AK's nameAlg is weaker than SHA-256.</summary>
    public const string AkNameAlgWeak = "AkNameAlgWeak";

    /// <summary>The AK has no signing scheme (NULL).</summary>
    public const string AkSchemeMissing = "AkSchemeMissing";

    /// <summary>qualifiedSigner is not the AK's qualified name.</summary>
    public const string QualifiedSignerMismatch = "QualifiedSignerMismatch";

    /// <summary>TPMS_ATTEST or TPMT_SIGNATURE does not parse.</summary>
    public const string QuoteMalformed = "QuoteMalformed";

    /// <summary>magic is not TPM_GENERATED_VALUE.</summary>
    public const string QuoteMagicInvalid = "QuoteMagicInvalid";

    /// <summary>type is not TPM_ST_ATTEST_QUOTE.</summary>
    public const string QuoteTypeInvalid = "QuoteTypeInvalid";

    /// <summary>extraData is not the expected nonce.</summary>
    public const string NonceMismatch = "NonceMismatch";

    /// <summary>The quoted PCR selection is not the one asked for.</summary>
    public const string PcrSelectionMismatch = "PcrSelectionMismatch";

    /// <summary>The signature does not verify with the AK over the TPMS_ATTEST bytes.</summary>
    public const string SignatureInvalid = "QuoteSignatureInvalid";

    /// <summary>The signature's scheme or hash is not the AK's scheme, or does not fit the key type.</summary>
    public const string SignatureSchemeMismatch = "SignatureSchemeMismatch";

    /// <summary>The signature scheme or hash is one this verifier cannot check (ECDAA, SM2, SM3...).</summary>
    public const string SignatureSchemeUnsupported = "SignatureSchemeUnsupported";

    /// <summary>pcrDigest is not the hash of the reported PCR values.</summary>
    public const string PcrDigestMismatch = "PcrDigestMismatch";

    /// <summary>A selected PCR has no reported value.</summary>
    public const string PcrValueMissing = "PcrValueMissing";

    /// <summary>A reported PCR value has the wrong length for its bank.</summary>
    public const string PcrValueSizeInvalid = "PcrValueSizeInvalid";
}
