namespace KcryptPush.Attestation.EventLog.Decoding;

/// <summary>GUIDs with names (UEFI spec §3.3, §32.4.1; shim's SHIM_LOCK_GUID).</summary>
public static class KnownGuids
{
    /// <summary>EFI_GLOBAL_VARIABLE: SecureBoot, PK, KEK, Boot####, BootOrder...</summary>
    public static readonly Guid EfiGlobalVariable = new("8BE4DF61-93CA-11D2-AA0D-00E098032B8C");

    /// <summary>EFI_IMAGE_SECURITY_DATABASE_GUID: db, dbx, dbt, dbr.</summary>
    public static readonly Guid EfiImageSecurityDatabase = new("D719B2CB-3D3A-4596-A3BC-DAD00E67656F");

    /// <summary>SHIM_LOCK_GUID: MokList, MokListX, MokListTrusted, SbatLevel.</summary>
    public static readonly Guid ShimLock = new("605DAB50-E046-4300-ABB6-3DD810DD8B23");

    /// <summary>EFI_CERT_X509_GUID.</summary>
    public static readonly Guid EfiCertX509 = new("A5C059A1-94E4-4AA7-87B5-AB155C2BF072");

    /// <summary>EFI_CERT_SHA256_GUID.</summary>
    public static readonly Guid EfiCertSha256 = new("C1C41626-504C-4092-ACA9-41F936934328");

    /// <summary>EFI_CERT_RSA2048_GUID.</summary>
    public static readonly Guid EfiCertRsa2048 = new("3C5766E8-269C-4E34-AA14-ED776E85B3B6");

    /// <summary>EFI_CERT_X509_SHA256_GUID.</summary>
    public static readonly Guid EfiCertX509Sha256 = new("3BD2A492-96C0-4079-B420-FCF98EF103ED");

    /// <summary>A short name for a known GUID, or null.</summary>
    public static string? NameOf(Guid guid)
    {
        if (guid == EfiGlobalVariable) return "EFI_GLOBAL_VARIABLE";
        if (guid == EfiImageSecurityDatabase) return "EFI_IMAGE_SECURITY_DATABASE";
        if (guid == ShimLock) return "SHIM_LOCK";
        if (guid == EfiCertX509) return "EFI_CERT_X509";
        if (guid == EfiCertSha256) return "EFI_CERT_SHA256";
        if (guid == EfiCertRsa2048) return "EFI_CERT_RSA2048";
        if (guid == EfiCertX509Sha256) return "EFI_CERT_X509_SHA256";
        return null;
    }

    /// <summary>Name if known, else the GUID text.</summary>
    public static string Describe(Guid guid) => NameOf(guid) ?? guid.ToString();
}
