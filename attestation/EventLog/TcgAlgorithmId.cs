namespace KcryptPush.Attestation.EventLog;

/// <summary>
/// TPM_ALG_ID values of the hash algorithms an event log can carry digests for (TPM 2.0 Part 2
/// §6.3 TPM_ALG_ID; TCG PC Client PFP §10.2.2 TCG_EfiSpecIdEventAlgorithmSize). Other values
/// may appear in a Spec ID event; they are carried as plain numbers.
/// </summary>
public enum TcgAlgorithmId : ushort
{
    /// <summary>TPM_ALG_SHA1.</summary>
    Sha1 = 0x0004,
    /// <summary>TPM_ALG_SHA256.</summary>
    Sha256 = 0x000B,
    /// <summary>TPM_ALG_SHA384.</summary>
    Sha384 = 0x000C,
    /// <summary>TPM_ALG_SHA512.</summary>
    Sha512 = 0x000D,
    /// <summary>TPM_ALG_SM3_256.</summary>
    Sm3_256 = 0x0012,
    /// <summary>TPM_ALG_SHA3_256.</summary>
    Sha3_256 = 0x0027,
    /// <summary>TPM_ALG_SHA3_384.</summary>
    Sha3_384 = 0x0028,
    /// <summary>TPM_ALG_SHA3_512.</summary>
    Sha3_512 = 0x0029,
}
