namespace KcryptPush.Tpm.Types;

/// <summary>TPMA_SESSION session attributes (TPM 2.0 Part 2 §8.4, Table 31 in r00.99; TPM-FACTS §1).</summary>
[Flags]
public enum TpmaSession : byte
{
    /// <summary>No attribute.</summary>
    None = 0,

    /// <summary>continueSession.</summary>
    ContinueSession = 0x01,

    /// <summary>auditExclusive.</summary>
    AuditExclusive = 0x02,

    /// <summary>auditReset.</summary>
    AuditReset = 0x04,

    /// <summary>decrypt: the first parameter is encrypted.</summary>
    Decrypt = 0x20,

    /// <summary>encrypt: the first response parameter is encrypted.</summary>
    Encrypt = 0x40,

    /// <summary>audit.</summary>
    Audit = 0x80,
}
