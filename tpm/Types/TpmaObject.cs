namespace KcryptPush.Tpm.Types;

/// <summary>TPMA_OBJECT object attributes (TPM 2.0 Part 2 §8.3, Table 31; TPM-FACTS §3).</summary>
[Flags]
public enum TpmaObject : uint
{
    /// <summary>No attribute.</summary>
    None = 0,

    /// <summary>fixedTPM: cannot be duplicated.</summary>
    FixedTpm = 0x00000002,

    /// <summary>stClear: cannot be reloaded after Startup(CLEAR).</summary>
    StClear = 0x00000004,

    /// <summary>fixedParent: the parent cannot change.</summary>
    FixedParent = 0x00000010,

    /// <summary>sensitiveDataOrigin: the TPM generated the sensitive part.</summary>
    SensitiveDataOrigin = 0x00000020,

    /// <summary>userWithAuth: USER role with authValue or HMAC.</summary>
    UserWithAuth = 0x00000040,

    /// <summary>adminWithPolicy: ADMIN role only with a policy session.</summary>
    AdminWithPolicy = 0x00000080,

    /// <summary>noDA: not subject to dictionary-attack protection.</summary>
    NoDA = 0x00000400,

    /// <summary>encryptedDuplication.</summary>
    EncryptedDuplication = 0x00000800,

    /// <summary>restricted: signs only TPM-generated digests / decrypts only TPM formats.</summary>
    Restricted = 0x00010000,

    /// <summary>decrypt.</summary>
    Decrypt = 0x00020000,

    /// <summary>sign (sign/encrypt).</summary>
    Sign = 0x00040000,

    /// <summary>x509sign.</summary>
    X509Sign = 0x00080000,
}
