using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Templates;

namespace KcryptPush.Tpm.Client;

/// <summary>The template, certificate index and option name of each <see cref="EkKind"/>.</summary>
public static class EkKinds
{
    public static TpmtPublic Template(EkKind kind) => kind switch
    {
        EkKind.Rsa2048 => EkTemplates.RsaL1(),
        EkKind.EccP256 => EkTemplates.EccL2(),
        EkKind.EccP384 => EkTemplates.EccH3(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown EK kind"),
    };

    /// <summary>The NV index where a manufacturer (or swtpm_setup) stores this EK's certificate.</summary>
    public static uint CertificateIndex(EkKind kind) => kind switch
    {
        EkKind.Rsa2048 => EkNvIndexes.RsaCertificate,
        EkKind.EccP256 => EkNvIndexes.EccCertificate,
        EkKind.EccP384 => EkNvIndexes.EccP384HighCertificate,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown EK kind"),
    };

    /// <summary>Our <c>--ek</c> value: rsa, ecc (P-256) or ecc384.</summary>
    public static string OptionName(EkKind kind) => kind switch
    {
        EkKind.Rsa2048 => "rsa",
        EkKind.EccP256 => "ecc",
        EkKind.EccP384 => "ecc384",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown EK kind"),
    };

    /// <summary>Parses a <c>--ek</c> value; false for anything else.</summary>
    public static bool TryParse(string? value, out EkKind kind)
    {
        switch (value)
        {
            case "rsa":
                kind = EkKind.Rsa2048;
                return true;
            case "ecc":
                kind = EkKind.EccP256;
                return true;
            case "ecc384":
                kind = EkKind.EccP384;
                return true;
            default:
                kind = default;
                return false;
        }
    }
}
