using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Registrar.Enrolment;

/// <summary>
/// The registrar's check that an AK is a restricted signing key (TPM 2.0 Part 2 §8.3.3 TPMA_OBJECT;
/// Part 1 §27 attestation keys): fixedTPM and fixedParent (cannot leave this TPM),
/// sensitiveDataOrigin (the TPM made the private key), restricted and sign (signs only
/// TPM-generated attestation structures, so a quote cannot be forged with a digest), and not decrypt.
/// The registrar keeps its own small check (registrar → tpm only, DESIGN.md "Parts").
/// </summary>
public static class AkAttributeCheck
{
    /// <summary>Attributes an AK must have.</summary>
    public const TpmaObject Required =
        TpmaObject.FixedTpm | TpmaObject.FixedParent | TpmaObject.SensitiveDataOrigin | TpmaObject.Restricted | TpmaObject.Sign;

    /// <summary>Attributes an AK must not have.</summary>
    public const TpmaObject Forbidden = TpmaObject.Decrypt;

    /// <summary>Checks the AK's TPMT_PUBLIC.</summary>
    public static KeyCheckResult Check(TpmtPublic ak)
    {
        ArgumentNullException.ThrowIfNull(ak);
        if (ak.Type is not (TpmAlgId.Rsa or TpmAlgId.Ecc))
        {
            return new($"the AK type 0x{(ushort)ak.Type:x4} is not RSA or ECC");
        }

        if (!TpmAlgorithms.CanHash(ak.NameAlg))
        {
            return new($"the AK nameAlg 0x{(ushort)ak.NameAlg:x4} is not a supported hash");
        }

        TpmaObject missing = Required & ~ak.ObjectAttributes;
        if (missing != TpmaObject.None)
        {
            return new($"the AK lacks {missing} (attributes 0x{(uint)ak.ObjectAttributes:x8}); an AK must be fixedTPM, fixedParent, sensitiveDataOrigin, restricted, sign");
        }

        TpmaObject extra = Forbidden & ak.ObjectAttributes;
        return extra != TpmaObject.None
            ? new($"the AK has {extra} set (attributes 0x{(uint)ak.ObjectAttributes:x8}); an AK must not decrypt")
            : KeyCheckResult.Pass;
    }
}
