namespace KcryptPush.Tpm.Types;

/// <summary>
/// TPM_CC command codes (TPM 2.0 Part 2 §6.5.2, Table 12). The first group is TPM-FACTS §2
/// (tpm2-tss = go-tpm, several checked live); the rest are from Part 2 Table 12.
/// </summary>
public enum TpmCc : uint
{
    /// <summary>TPM_CC_NV_UndefineSpaceSpecial.</summary>
    NvUndefineSpaceSpecial = 0x0000011F,

    /// <summary>TPM_CC_EvictControl.</summary>
    EvictControl = 0x00000120,

    /// <summary>TPM_CC_NV_UndefineSpace.</summary>
    NvUndefineSpace = 0x00000122,

    /// <summary>TPM_CC_Clear.</summary>
    Clear = 0x00000126,

    /// <summary>TPM_CC_HierarchyChangeAuth.</summary>
    HierarchyChangeAuth = 0x00000129,

    /// <summary>TPM_CC_NV_DefineSpace.</summary>
    NvDefineSpace = 0x0000012A,

    /// <summary>TPM_CC_CreatePrimary.</summary>
    CreatePrimary = 0x00000131,

    /// <summary>TPM_CC_NV_Write.</summary>
    NvWrite = 0x00000137,

    /// <summary>TPM_CC_SelfTest.</summary>
    SelfTest = 0x00000143,

    /// <summary>TPM_CC_Startup.</summary>
    Startup = 0x00000144,

    /// <summary>TPM_CC_Shutdown.</summary>
    Shutdown = 0x00000145,

    /// <summary>TPM_CC_ActivateCredential.</summary>
    ActivateCredential = 0x00000147,

    /// <summary>TPM_CC_Certify.</summary>
    Certify = 0x00000148,

    /// <summary>TPM_CC_CertifyCreation.</summary>
    CertifyCreation = 0x0000014A,

    /// <summary>TPM_CC_NV_Read.</summary>
    NvRead = 0x0000014E,

    /// <summary>TPM_CC_PolicySecret.</summary>
    PolicySecret = 0x00000151,

    /// <summary>TPM_CC_Create.</summary>
    Create = 0x00000153,

    /// <summary>TPM_CC_Load.</summary>
    Load = 0x00000157,

    /// <summary>TPM_CC_Quote.</summary>
    Quote = 0x00000158,

    /// <summary>TPM_CC_Sign.</summary>
    Sign = 0x0000015D,

    /// <summary>TPM_CC_ContextLoad.</summary>
    ContextLoad = 0x00000161,

    /// <summary>TPM_CC_ContextSave.</summary>
    ContextSave = 0x00000162,

    /// <summary>TPM_CC_FlushContext.</summary>
    FlushContext = 0x00000165,

    /// <summary>TPM_CC_LoadExternal.</summary>
    LoadExternal = 0x00000167,

    /// <summary>TPM_CC_MakeCredential.</summary>
    MakeCredential = 0x00000168,

    /// <summary>TPM_CC_NV_ReadPublic.</summary>
    NvReadPublic = 0x00000169,

    /// <summary>TPM_CC_PolicyAuthValue.</summary>
    PolicyAuthValue = 0x0000016B,

    /// <summary>TPM_CC_PolicyCommandCode.</summary>
    PolicyCommandCode = 0x0000016C,

    /// <summary>TPM_CC_PolicyCounterTimer.</summary>
    PolicyCounterTimer = 0x0000016D,

    /// <summary>TPM_CC_PolicyOR.</summary>
    PolicyOR = 0x00000171,

    /// <summary>TPM_CC_ReadPublic.</summary>
    ReadPublic = 0x00000173,

    /// <summary>TPM_CC_StartAuthSession.</summary>
    StartAuthSession = 0x00000176,

    /// <summary>TPM_CC_VerifySignature.</summary>
    VerifySignature = 0x00000177,

    /// <summary>TPM_CC_GetCapability.</summary>
    GetCapability = 0x0000017A,

    /// <summary>TPM_CC_GetRandom.</summary>
    GetRandom = 0x0000017B,

    /// <summary>TPM_CC_PCR_Read.</summary>
    PcrRead = 0x0000017E,

    /// <summary>TPM_CC_PolicyPCR.</summary>
    PolicyPcr = 0x0000017F,

    /// <summary>TPM_CC_PolicyRestart.</summary>
    PolicyRestart = 0x00000180,

    /// <summary>TPM_CC_ReadClock.</summary>
    ReadClock = 0x00000181,

    /// <summary>TPM_CC_PCR_Extend.</summary>
    PcrExtend = 0x00000182,

    /// <summary>TPM_CC_PolicyGetDigest.</summary>
    PolicyGetDigest = 0x00000189,

    /// <summary>TPM_CC_TestParms.</summary>
    TestParms = 0x0000018A,

    /// <summary>TPM_CC_PolicyPassword.</summary>
    PolicyPassword = 0x0000018C,

    /// <summary>TPM_CC_PolicyAuthorizeNV.</summary>
    PolicyAuthorizeNV = 0x00000192,
}
