namespace KcryptPush.Tpm.Types;

/// <summary>TPM_ST structure tags (TPM 2.0 Part 2 §6.9, Table 19).</summary>
public enum TpmSt : ushort
{
    /// <summary>TPM_ST_RSP_COMMAND: TPM 1.2 style tag in error responses to bad tags.</summary>
    RspCommand = 0x00C4,

    /// <summary>TPM_ST_NULL.</summary>
    Null = 0x8000,

    /// <summary>TPM_ST_NO_SESSIONS: command or response without an authorization area.</summary>
    NoSessions = 0x8001,

    /// <summary>TPM_ST_SESSIONS: command or response with an authorization area.</summary>
    Sessions = 0x8002,

    /// <summary>TPM_ST_ATTEST_NV.</summary>
    AttestNv = 0x8014,

    /// <summary>TPM_ST_ATTEST_COMMAND_AUDIT.</summary>
    AttestCommandAudit = 0x8015,

    /// <summary>TPM_ST_ATTEST_SESSION_AUDIT.</summary>
    AttestSessionAudit = 0x8016,

    /// <summary>TPM_ST_ATTEST_CERTIFY.</summary>
    AttestCertify = 0x8017,

    /// <summary>TPM_ST_ATTEST_QUOTE.</summary>
    AttestQuote = 0x8018,

    /// <summary>TPM_ST_ATTEST_TIME.</summary>
    AttestTime = 0x8019,

    /// <summary>TPM_ST_ATTEST_CREATION.</summary>
    AttestCreation = 0x801A,

    /// <summary>TPM_ST_ATTEST_NV_DIGEST.</summary>
    AttestNvDigest = 0x801C,

    /// <summary>TPM_ST_CREATION (TPMT_TK_CREATION).</summary>
    Creation = 0x8021,

    /// <summary>TPM_ST_VERIFIED (TPMT_TK_VERIFIED).</summary>
    Verified = 0x8022,

    /// <summary>TPM_ST_AUTH_SECRET (TPMT_TK_AUTH from PolicySecret).</summary>
    AuthSecret = 0x8023,

    /// <summary>TPM_ST_HASHCHECK (TPMT_TK_HASHCHECK).</summary>
    HashCheck = 0x8024,

    /// <summary>TPM_ST_AUTH_SIGNED (TPMT_TK_AUTH from PolicySigned).</summary>
    AuthSigned = 0x8025,
}
