namespace KcryptPush.Tpm.Structures;

/// <summary>Which TPMI_ALG_*_SCHEME a <see cref="TpmtScheme"/> is read as (the allowed algorithms differ).</summary>
public enum TpmSchemeKind
{
    /// <summary>TPMT_RSA_SCHEME: RSASSA, RSAPSS, RSAES, OAEP, NULL.</summary>
    Rsa,

    /// <summary>TPMT_ECC_SCHEME: ECDSA, ECDAA, SM2, ECSCHNORR, ECDH, ECMQV, NULL.</summary>
    Ecc,

    /// <summary>TPMT_KDF_SCHEME: MGF1, KDF1_SP800_56A, KDF2, KDF1_SP800_108, NULL.</summary>
    Kdf,

    /// <summary>TPMT_KEYEDHASH_SCHEME: HMAC, NULL (XOR is not supported).</summary>
    KeyedHash,

    /// <summary>TPMT_SIG_SCHEME: RSASSA, RSAPSS, ECDSA, ECDAA, SM2, ECSCHNORR, HMAC, NULL.</summary>
    Signature,
}
