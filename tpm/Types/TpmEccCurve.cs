namespace KcryptPush.Tpm.Types;

/// <summary>TPM_ECC_CURVE (TPM 2.0 Part 2 §6.4, Table 10).</summary>
public enum TpmEccCurve : ushort
{
    /// <summary>TPM_ECC_NONE.</summary>
    None = 0x0000,

    /// <summary>TPM_ECC_NIST_P192.</summary>
    NistP192 = 0x0001,

    /// <summary>TPM_ECC_NIST_P224.</summary>
    NistP224 = 0x0002,

    /// <summary>TPM_ECC_NIST_P256.</summary>
    NistP256 = 0x0003,

    /// <summary>TPM_ECC_NIST_P384.</summary>
    NistP384 = 0x0004,

    /// <summary>TPM_ECC_NIST_P521.</summary>
    NistP521 = 0x0005,

    /// <summary>TPM_ECC_BN_P256.</summary>
    BnP256 = 0x0010,

    /// <summary>TPM_ECC_BN_P638.</summary>
    BnP638 = 0x0011,

    /// <summary>TPM_ECC_SM2_P256.</summary>
    Sm2P256 = 0x0020,
}
