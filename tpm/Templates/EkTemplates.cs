using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Templates;

/// <summary>
/// EK templates from the TCG EK Credential Profile (TPM-FACTS §3, checked LIVE against
/// tpm2_createek and swtpm_setup). Create them with CreatePrimary(TPM_RH_ENDORSEMENT).
/// The unique bytes are key input: 256 zero bytes and an empty buffer give different keys.
/// </summary>
public static class EkTemplates
{
    /// <summary>L-1 attributes: fixedTPM | fixedParent | sensitiveDataOrigin | adminWithPolicy | restricted | decrypt (0x000300B2).</summary>
    public const TpmaObject LowAttributes = TpmaObject.FixedTpm | TpmaObject.FixedParent | TpmaObject.SensitiveDataOrigin
        | TpmaObject.AdminWithPolicy | TpmaObject.Restricted | TpmaObject.Decrypt;

    /// <summary>H template attributes: the L attributes plus userWithAuth (0x000300F2).</summary>
    public const TpmaObject HighAttributes = LowAttributes | TpmaObject.UserWithAuth;

    /// <summary>
    /// L-1: RSA 2048, nameAlg SHA-256, attributes 0x000300B2, PolicyA-256, AES-128-CFB,
    /// scheme NULL, exponent 0, unique = 256 zero bytes.
    /// </summary>
    public static TpmtPublic RsaL1() => new()
    {
        Type = TpmAlgId.Rsa,
        NameAlg = TpmAlgId.Sha256,
        ObjectAttributes = LowAttributes,
        AuthPolicy = EkPolicies.PolicyA256,
        Symmetric = TpmtSymDefObject.Aes128Cfb,
        Scheme = TpmtScheme.Null,
        KeyBits = 2048,
        Exponent = 0,
        Unique = new byte[256],
    };

    /// <summary>
    /// L-2: ECC NIST P-256, nameAlg SHA-256, attributes 0x000300B2, PolicyA-256, AES-128-CFB,
    /// scheme NULL, kdf NULL, unique x and y = 32 zero bytes each.
    /// </summary>
    public static TpmtPublic EccL2() => new()
    {
        Type = TpmAlgId.Ecc,
        NameAlg = TpmAlgId.Sha256,
        ObjectAttributes = LowAttributes,
        AuthPolicy = EkPolicies.PolicyA256,
        Symmetric = TpmtSymDefObject.Aes128Cfb,
        Scheme = TpmtScheme.Null,
        Curve = TpmEccCurve.NistP256,
        Kdf = TpmtScheme.Null,
        UniqueX = new byte[32],
        UniqueY = new byte[32],
    };

    /// <summary>
    /// H-3: ECC NIST P-384, nameAlg SHA-384, attributes 0x000300F2, PolicyB-384, AES-256-CFB,
    /// scheme NULL, kdf NULL, unique x and y empty. Using it needs a SHA-384 policy session with
    /// PolicySecret(endorsement) then PolicyOR(A-384, C-384).
    /// </summary>
    public static TpmtPublic EccH3() => new()
    {
        Type = TpmAlgId.Ecc,
        NameAlg = TpmAlgId.Sha384,
        ObjectAttributes = HighAttributes,
        AuthPolicy = EkPolicies.PolicyB384,
        Symmetric = TpmtSymDefObject.Aes256Cfb,
        Scheme = TpmtScheme.Null,
        Curve = TpmEccCurve.NistP384,
        Kdf = TpmtScheme.Null,
        UniqueX = [],
        UniqueY = [],
    };
}
