namespace KcryptPush.Tpm.Structures;

/// <summary>
/// Upper bounds the parsers enforce before slicing or allocating, from the TPM 2.0 Part 2
/// buffer definitions (§10.4 TPM2B types, §10.9 lists) with the largest implemented sizes.
/// </summary>
public static class TpmLimits
{
    /// <summary>sizeof(TPMU_HA): TPM2B_DIGEST, TPM2B_NONCE, TPM2B_AUTH (SHA-512).</summary>
    public const int Digest = 64;

    /// <summary>sizeof(TPMU_NAME) = TPMT_HA (2 + 64): TPM2B_NAME.</summary>
    public const int Name = 66;

    /// <summary>sizeof(TPMT_HA): TPM2B_DATA (extraData, qualifyingData).</summary>
    public const int Data = 66;

    /// <summary>MAX_RSA_KEY_BYTES for RSA-4096: TPM2B_PUBLIC_KEY_RSA.</summary>
    public const int RsaKeyBytes = 512;

    /// <summary>TPM2B_ECC_PARAMETER (P-521 needs 66; BN P638 needs 80).</summary>
    public const int EccParameter = 128;

    /// <summary>HASH_COUNT bound for TPML_PCR_SELECTION and TPML_DIGEST_VALUES.</summary>
    public const int HashCount = 16;

    /// <summary>PCR_SELECT_MAX bound on sizeofSelect (256 PCRs).</summary>
    public const int PcrSelectMax = 32;

    /// <summary>PCR_SELECT_MIN: the smallest sizeofSelect a TPM accepts (24 PCRs).</summary>
    public const int PcrSelectMin = 3;

    /// <summary>TPML_DIGEST holds at most 8 digests (Part 2 Table 96; PolicyOR, PCR_Read).</summary>
    public const int DigestListCount = 8;
}
