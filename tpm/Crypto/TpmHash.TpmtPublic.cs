using KcryptPush.Tpm.Structures;

namespace KcryptPush.Tpm.Crypto;

public static partial class TpmHash
{
    /// <summary>The TPM hash of an EK given as its TPMT_PUBLIC (RSA or ECC).</summary>
    public static string Of(TpmtPublic ekPublic)
    {
        ArgumentNullException.ThrowIfNull(ekPublic);
        return FromSubjectPublicKeyInfo(ekPublic.ExportSubjectPublicKeyInfo());
    }
}
