namespace KcryptPush.Attestation.EventLog.Decoding;

/// <summary>The Secure Boot variables a verifier cares about, recognized by vendor GUID and name
/// (UEFI spec §3.3 Globally Defined Variables, §32.6 Image Execution Verification; shim MOK).</summary>
public enum SecureBootVariable
{
    /// <summary>Not one of these.</summary>
    None,
    /// <summary>EFI_GLOBAL_VARIABLE SecureBoot (1 byte, 1 = enabled).</summary>
    SecureBoot,
    /// <summary>EFI_GLOBAL_VARIABLE PK.</summary>
    PK,
    /// <summary>EFI_GLOBAL_VARIABLE KEK.</summary>
    KEK,
    /// <summary>EFI_IMAGE_SECURITY_DATABASE db.</summary>
    Db,
    /// <summary>EFI_IMAGE_SECURITY_DATABASE dbx.</summary>
    Dbx,
    /// <summary>EFI_IMAGE_SECURITY_DATABASE dbt.</summary>
    Dbt,
    /// <summary>EFI_IMAGE_SECURITY_DATABASE dbr.</summary>
    Dbr,
    /// <summary>SHIM_LOCK MokList.</summary>
    MokList,
    /// <summary>SHIM_LOCK MokListX.</summary>
    MokListX,
    /// <summary>SHIM_LOCK MokListTrusted.</summary>
    MokListTrusted,
    /// <summary>SHIM_LOCK SbatLevel.</summary>
    SbatLevel,
}

/// <summary>Recognizes <see cref="SecureBootVariable"/>s.</summary>
public static class SecureBootVariables
{
    /// <summary>Which variable GUID + name is, or <see cref="SecureBootVariable.None"/>.</summary>
    public static SecureBootVariable Recognize(Guid vendor, string name)
    {
        if (vendor == KnownGuids.EfiGlobalVariable)
        {
            return name switch
            {
                "SecureBoot" => SecureBootVariable.SecureBoot,
                "PK" => SecureBootVariable.PK,
                "KEK" => SecureBootVariable.KEK,
                _ => SecureBootVariable.None,
            };
        }
        if (vendor == KnownGuids.EfiImageSecurityDatabase)
        {
            return name switch
            {
                "db" => SecureBootVariable.Db,
                "dbx" => SecureBootVariable.Dbx,
                "dbt" => SecureBootVariable.Dbt,
                "dbr" => SecureBootVariable.Dbr,
                _ => SecureBootVariable.None,
            };
        }
        if (vendor == KnownGuids.ShimLock)
        {
            return name switch
            {
                "MokList" => SecureBootVariable.MokList,
                "MokListX" => SecureBootVariable.MokListX,
                "MokListTrusted" => SecureBootVariable.MokListTrusted,
                "SbatLevel" => SecureBootVariable.SbatLevel,
                _ => SecureBootVariable.None,
            };
        }
        return SecureBootVariable.None;
    }

    /// <summary>True for variables whose data is a list of EFI_SIGNATURE_LISTs.</summary>
    public static bool HoldsSignatureLists(SecureBootVariable v) => v is SecureBootVariable.PK or SecureBootVariable.KEK
        or SecureBootVariable.Db or SecureBootVariable.Dbx or SecureBootVariable.Dbt or SecureBootVariable.Dbr
        or SecureBootVariable.MokList or SecureBootVariable.MokListX or SecureBootVariable.MokListTrusted;
}
