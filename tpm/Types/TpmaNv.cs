namespace KcryptPush.Tpm.Types;

/// <summary>TPMA_NV NV index attributes (TPM 2.0 Part 2 §13.2, Table 204).</summary>
[Flags]
public enum TpmaNv : uint
{
    /// <summary>No attribute.</summary>
    None = 0,

    /// <summary>TPMA_NV_PPWRITE.</summary>
    PpWrite = 0x00000001,

    /// <summary>TPMA_NV_OWNERWRITE.</summary>
    OwnerWrite = 0x00000002,

    /// <summary>TPMA_NV_AUTHWRITE.</summary>
    AuthWrite = 0x00000004,

    /// <summary>TPMA_NV_POLICYWRITE.</summary>
    PolicyWrite = 0x00000008,

    /// <summary>TPM_NT field (bits 7:4): the index type (0 ordinary, 1 counter, 2 bits, 4 extend, 8 pin fail, 9 pin pass).</summary>
    TypeMask = 0x000000F0,

    /// <summary>TPMA_NV_POLICY_DELETE.</summary>
    PolicyDelete = 0x00000400,

    /// <summary>TPMA_NV_WRITELOCKED.</summary>
    WriteLocked = 0x00000800,

    /// <summary>TPMA_NV_WRITEALL.</summary>
    WriteAll = 0x00001000,

    /// <summary>TPMA_NV_WRITEDEFINE.</summary>
    WriteDefine = 0x00002000,

    /// <summary>TPMA_NV_WRITE_STCLEAR.</summary>
    WriteStClear = 0x00004000,

    /// <summary>TPMA_NV_GLOBALLOCK.</summary>
    GlobalLock = 0x00008000,

    /// <summary>TPMA_NV_PPREAD.</summary>
    PpRead = 0x00010000,

    /// <summary>TPMA_NV_OWNERREAD.</summary>
    OwnerRead = 0x00020000,

    /// <summary>TPMA_NV_AUTHREAD.</summary>
    AuthRead = 0x00040000,

    /// <summary>TPMA_NV_POLICYREAD.</summary>
    PolicyRead = 0x00080000,

    /// <summary>TPMA_NV_NO_DA.</summary>
    NoDA = 0x02000000,

    /// <summary>TPMA_NV_ORDERLY.</summary>
    Orderly = 0x04000000,

    /// <summary>TPMA_NV_CLEAR_STCLEAR.</summary>
    ClearStClear = 0x08000000,

    /// <summary>TPMA_NV_READLOCKED.</summary>
    ReadLocked = 0x10000000,

    /// <summary>TPMA_NV_WRITTEN.</summary>
    Written = 0x20000000,

    /// <summary>TPMA_NV_PLATFORMCREATE.</summary>
    PlatformCreate = 0x40000000,

    /// <summary>TPMA_NV_READ_STCLEAR.</summary>
    ReadStClear = 0x80000000,
}
