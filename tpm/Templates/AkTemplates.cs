using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Templates;

/// <summary>
/// AK templates (TPM-FACTS §4; tpm2_createak defaults). KcryptPush creates the AK as a primary
/// key with CreatePrimary(TPM_RH_ENDORSEMENT), so the template, unique bytes included, fully
/// determines the key: the same template on the same TPM gives the same AK.
/// <para>
/// Unique: KcryptPush uses an EMPTY unique for every AK (like the EK H templates), not the
/// 256/32 zero bytes of the EK L templates. This is key input: changing it later changes every
/// node's AK, so it is fixed here and documented; do not change it.
/// </para>
/// </summary>
public static class AkTemplates
{
    /// <summary>
    /// 0x00050072: fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | restricted | sign.
    /// No decrypt, so the AK can only sign TPM-generated data (quotes, certifications).
    /// </summary>
    public const TpmaObject Attributes = TpmaObject.FixedTpm | TpmaObject.FixedParent | TpmaObject.SensitiveDataOrigin
        | TpmaObject.UserWithAuth | TpmaObject.Restricted | TpmaObject.Sign;

    /// <summary>
    /// RSA 2048 AK: symmetric NULL, scheme RSASSA-SHA256 (or RSAPSS-SHA256 when
    /// <paramref name="pss"/>: a restricted key signs only with its own scheme), exponent 0, empty unique.
    /// </summary>
    /// <param name="nameAlg">The Name hash; by convention the EK's nameAlg (SHA-384 beside an H-3 EK).</param>
    /// <param name="pss">RSAPSS instead of RSASSA.</param>
    public static TpmtPublic Rsa2048(TpmAlgId nameAlg = TpmAlgId.Sha256, bool pss = false)
    {
        CheckNameAlg(nameAlg);
        return new TpmtPublic
        {
            Type = TpmAlgId.Rsa,
            NameAlg = nameAlg,
            ObjectAttributes = Attributes,
            AuthPolicy = [],
            Symmetric = TpmtSymDefObject.Null,
            Scheme = new TpmtScheme(pss ? TpmAlgId.RsaPss : TpmAlgId.RsaSsa, TpmAlgId.Sha256),
            KeyBits = 2048,
            Exponent = 0,
            Unique = [],
        };
    }

    /// <summary>ECC NIST P-256 AK: symmetric NULL, scheme ECDSA-SHA256, kdf NULL, empty unique x and y.</summary>
    /// <param name="nameAlg">The Name hash; by convention the EK's nameAlg.</param>
    public static TpmtPublic EccP256(TpmAlgId nameAlg = TpmAlgId.Sha256)
    {
        CheckNameAlg(nameAlg);
        return new TpmtPublic
        {
            Type = TpmAlgId.Ecc,
            NameAlg = nameAlg,
            ObjectAttributes = Attributes,
            AuthPolicy = [],
            Symmetric = TpmtSymDefObject.Null,
            Scheme = new TpmtScheme(TpmAlgId.EcDsa, TpmAlgId.Sha256),
            Curve = TpmEccCurve.NistP256,
            Kdf = TpmtScheme.Null,
            UniqueX = [],
            UniqueY = [],
        };
    }

    private static void CheckNameAlg(TpmAlgId nameAlg)
    {
        if (!TpmAlgorithms.IsHash(nameAlg))
        {
            throw new ArgumentOutOfRangeException(nameof(nameAlg), nameAlg, "nameAlg must be a hash algorithm.");
        }
    }
}
