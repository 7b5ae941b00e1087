using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Registrar.Enrolment;

/// <summary>
/// Checks that an EK can receive a credential (TPM 2.0 Part 3 §12.6 MakeCredential: the key must
/// be a restricted decryption (storage) key with a symmetric algorithm), as the TCG EK Credential
/// Profile templates produce: fixedTPM, fixedParent, restricted, decrypt, not sign, AES-CFB.
/// </summary>
public static class EkKeyCheck
{
    /// <summary>Attributes an EK must have.</summary>
    public const TpmaObject Required = TpmaObject.FixedTpm | TpmaObject.FixedParent | TpmaObject.Restricted | TpmaObject.Decrypt;

    /// <summary>Checks the EK's TPMT_PUBLIC.</summary>
    public static KeyCheckResult Check(TpmtPublic ek)
    {
        ArgumentNullException.ThrowIfNull(ek);
        if (ek.Type is not (TpmAlgId.Rsa or TpmAlgId.Ecc))
        {
            return new($"the EK type 0x{(ushort)ek.Type:x4} is not RSA or ECC");
        }

        if (!TpmAlgorithms.CanHash(ek.NameAlg))
        {
            return new($"the EK nameAlg 0x{(ushort)ek.NameAlg:x4} is not a supported hash");
        }

        TpmaObject missing = Required & ~ek.ObjectAttributes;
        if (missing != TpmaObject.None)
        {
            return new($"the EK lacks {missing} (attributes 0x{(uint)ek.ObjectAttributes:x8})");
        }

        if ((ek.ObjectAttributes & TpmaObject.Sign) != 0)
        {
            return new("the EK is a signing key; a storage EK must not sign");
        }

        if (ek.Symmetric.Algorithm != TpmAlgId.Aes || ek.Symmetric.Mode != TpmAlgId.Cfb || ek.Symmetric.KeyBits is not (128 or 192 or 256))
        {
            return new($"the EK's symmetric definition (alg 0x{(ushort)ek.Symmetric.Algorithm:x4}, {ek.Symmetric.KeyBits} bits, mode 0x{(ushort)ek.Symmetric.Mode:x4}) is not AES-CFB");
        }

        return KeyCheckResult.Pass;
    }
}
