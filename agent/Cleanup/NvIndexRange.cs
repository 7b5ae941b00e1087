namespace KcryptPush.Agent.Cleanup;

/// <summary>
/// Which NV indexes cleanup may touch. NV index handles are 0x01000000–0x01FFFFFF (TPM 2.0 Part 2
/// §7.1, TPM_HT_NV_INDEX). The TCG "Registry of Reserved TPM 2.0 Handles and Localities" §2.2
/// assigns sub-ranges by convention: 0x01000000–0x013FFFFF TPM manufacturer, 0x01400000–0x017FFFFF
/// platform manufacturer, 0x01800000–0x01BFFFFF owner (and organisations, e.g. systemd's
/// 0x01800400–0x018005FF), and 0x01C00000–0x01FFFFFF TCG-defined indexes (EK certificates at
/// 0x01C00002/0x01C0000A/0x01C00012.., their templates, the EK policy indexes 0x01C07F01..,
/// platform certificates, platform-specification indexes). kcrypt's own default (0x1500000) sits
/// in the platform manufacturer's convention range, so a handle range alone cannot define "the
/// owner's indexes". What the TPM enforces is the hierarchy: TPM2_NV_UndefineSpace with owner
/// authorization deletes only indexes the owner created (TPMA_NV_PLATFORMCREATE clear, Part 3
/// §31.4). Cleanup therefore refuses the TCG-defined range outright (never an EK certificate) and,
/// below it, every index whose attributes say the platform created it.
/// </summary>
public static class NvIndexRange
{
    /// <summary>First NV index handle.</summary>
    public const uint First = 0x01000000;

    /// <summary>First TCG-defined NV index (EK certificates and templates, EK policy indexes, platform certificates).</summary>
    public const uint TcgFirst = 0x01C00000;

    /// <summary>Last NV index handle.</summary>
    public const uint Last = 0x01FFFFFF;

    /// <summary>Why <paramref name="index"/> must not be undefined by its handle alone, or null.</summary>
    public static string? Refusal(uint index) => index switch
    {
        >= TcgFirst and <= Last => $"0x{index:x8} is a TCG-defined NV index (0x01C00000-0x01FFFFFF: EK certificates, templates, EK policies, platform certificates); never undefined",
        >= First and < TcgFirst => null,
        _ => $"0x{index:x8} is not an NV index handle (0x01000000-0x01BFFFFF can be cleaned up)",
    };

    /// <summary>Parses <c>0x1500000</c>, <c>01500000</c> (hex, as kcrypt-challenger writes it).</summary>
    public static bool TryParse(string? text, out uint index)
    {
        string t = (text ?? string.Empty).Trim();
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            t = t[2..];
        }

        index = 0;
        return t.Length > 0 && uint.TryParse(t, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out index);
    }
}
