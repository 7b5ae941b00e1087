using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Release;

/// <summary>
/// The public area of a release key (DESIGN.md "Flows", TPM-FACTS §8a): an ECC NIST P-256 primary
/// key the agent creates in the NULL hierarchy for one release (its seed changes at every TPM Reset,
/// so the key cannot be recreated after one), whose only use is to be the object a credential is
/// bound to (TPM2_ActivateCredential's activateHandle, ADMIN role):
/// fixedTPM | fixedParent | sensitiveDataOrigin | adminWithPolicy | sign, userWithAuth clear, so the
/// ADMIN role needs a policy session that satisfies <see cref="ReleaseKeyPolicy"/>; nameAlg SHA-256;
/// symmetric, scheme and kdf NULL; empty unique.
/// </summary>
public static class ReleaseKeyTemplate
{
    /// <summary>0x000400B2: fixedTPM | fixedParent | sensitiveDataOrigin | adminWithPolicy | sign.</summary>
    public const TpmaObject Attributes = TpmaObject.FixedTpm | TpmaObject.FixedParent | TpmaObject.SensitiveDataOrigin
        | TpmaObject.AdminWithPolicy | TpmaObject.Sign;

    /// <summary>The template with <paramref name="authPolicy"/> (from <see cref="ReleaseKeyPolicy.Compute"/>).</summary>
    public static TpmtPublic Create(byte[] authPolicy)
    {
        ArgumentNullException.ThrowIfNull(authPolicy);
        return new TpmtPublic
        {
            Type = TpmAlgId.Ecc,
            NameAlg = ReleaseKeyPolicy.Hash,
            ObjectAttributes = Attributes,
            AuthPolicy = authPolicy,
            Symmetric = TpmtSymDefObject.Null,
            Scheme = TpmtScheme.Null,
            Curve = TpmEccCurve.NistP256,
            Kdf = TpmtScheme.Null,
        };
    }

    /// <summary>
    /// Why <paramref name="releaseKey"/> is not a release key bound to <paramref name="expectedPolicy"/>,
    /// or null when it is: every field but unique must be the template's (an extra attribute such as
    /// userWithAuth would let a password open the credential in any boot).
    /// </summary>
    public static string? Problem(TpmtPublic releaseKey, ReadOnlySpan<byte> expectedPolicy)
    {
        ArgumentNullException.ThrowIfNull(releaseKey);
        if (releaseKey.Type != TpmAlgId.Ecc || releaseKey.Curve != TpmEccCurve.NistP256)
        {
            return $"type 0x{(ushort)releaseKey.Type:x4} curve 0x{(ushort)releaseKey.Curve:x4} is not ECC NIST P-256";
        }

        if (releaseKey.NameAlg != ReleaseKeyPolicy.Hash)
        {
            return $"nameAlg 0x{(ushort)releaseKey.NameAlg:x4} is not SHA-256";
        }

        if (releaseKey.ObjectAttributes != Attributes)
        {
            return $"objectAttributes 0x{(uint)releaseKey.ObjectAttributes:x8} are not 0x{(uint)Attributes:x8} "
                + "(fixedTPM|fixedParent|sensitiveDataOrigin|adminWithPolicy|sign; userWithAuth clear)";
        }

        if (!releaseKey.Symmetric.Equals(TpmtSymDefObject.Null) || !releaseKey.Scheme.IsNull || !releaseKey.Kdf.IsNull)
        {
            return "symmetric, scheme and kdf must be NULL";
        }

        if (!releaseKey.AuthPolicy.AsSpan().SequenceEqual(expectedPolicy))
        {
            return $"authPolicy {Convert.ToHexStringLower(releaseKey.AuthPolicy)} is not PolicyPCR(quoted PCRs) ∧ "
                + $"PolicyCounterTimer(resetCount) ∧ PolicyCommandCode(ActivateCredential) = {Convert.ToHexStringLower(expectedPolicy)}";
        }

        return null;
    }
}
