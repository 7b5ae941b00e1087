namespace KcryptPush.Tpm.Types;

/// <summary>
/// TPM_HANDLE values and ranges (TPM 2.0 Part 2 §7, Tables 27-28; TPM-FACTS §2 "Handles").
/// </summary>
public static class TpmHandle
{
    /// <summary>TPM_RH_OWNER: the storage (owner) hierarchy.</summary>
    public const uint RhOwner = 0x40000001;

    /// <summary>TPM_RH_NULL.</summary>
    public const uint RhNull = 0x40000007;

    /// <summary>TPM_RS_PW: the password authorization session.</summary>
    public const uint RsPw = 0x40000009;

    /// <summary>TPM_RH_LOCKOUT.</summary>
    public const uint RhLockout = 0x4000000A;

    /// <summary>TPM_RH_ENDORSEMENT: the endorsement hierarchy.</summary>
    public const uint RhEndorsement = 0x4000000B;

    /// <summary>TPM_RH_PLATFORM.</summary>
    public const uint RhPlatform = 0x4000000C;

    /// <summary>TPM_RH_PLATFORM_NV.</summary>
    public const uint RhPlatformNv = 0x4000000D;

    /// <summary>First NV index handle (TPM_HT_NV_INDEX 0x01).</summary>
    public const uint NvIndexFirst = 0x01000000;

    /// <summary>Last NV index handle.</summary>
    public const uint NvIndexLast = 0x01FFFFFF;

    /// <summary>First HMAC session handle (TPM_HT_HMAC_SESSION 0x02).</summary>
    public const uint HmacSessionFirst = 0x02000000;

    /// <summary>First policy session handle (TPM_HT_POLICY_SESSION 0x03).</summary>
    public const uint PolicySessionFirst = 0x03000000;

    /// <summary>First transient object handle (TPM_HT_TRANSIENT 0x80).</summary>
    public const uint TransientFirst = 0x80000000;

    /// <summary>First persistent object handle (TPM_HT_PERSISTENT 0x81).</summary>
    public const uint PersistentFirst = 0x81000000;

    /// <summary>Last persistent object handle.</summary>
    public const uint PersistentLast = 0x81FFFFFF;

    /// <summary>First persistent handle of the platform range.</summary>
    public const uint PersistentPlatformFirst = 0x81800000;

    /// <summary>Conventional SRK handle.</summary>
    public const uint Srk = 0x81000001;

    /// <summary>Conventional RSA EK handle.</summary>
    public const uint RsaEk = 0x81010001;

    /// <summary>ECC EK handle per the Provisioning Guidance (as cited by go-tpm-tools; TPM-FACTS ⚠1).</summary>
    public const uint EccEk = 0x81010002;

    /// <summary>KcryptPush's default persistent AK handle (DESIGN "Identities").</summary>
    public const uint DefaultAk = 0x81018000;

    /// <summary>The handle type (most significant byte: TPM_HT, Part 2 §7.2).</summary>
    public static byte HandleType(uint handle) => (byte)(handle >> 24);
}
