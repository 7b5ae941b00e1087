using KcryptPush.Attestation.Findings;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Quotes;

/// <summary>
/// Checks an AK's objectAttributes (TPM 2.0 Part 2 §8.3 TPMA_OBJECT; DESIGN "Identities"):
/// restricted, sign, fixedTPM, fixedParent and sensitiveDataOrigin are required and decrypt is
/// forbidden. Only a restricted signing key refuses to sign data that begins with
/// TPM_GENERATED_VALUE, which is what makes a quote trustworthy. Each missing or forbidden
/// attribute is its own finding.
/// </summary>
public static class AkAttributeCheck
{
    private static readonly (TpmaObject Bit, string Code, string Name)[] Required =
    [
        (TpmaObject.Restricted, QuoteFindingCodes.AkNotRestricted, "restricted"),
        (TpmaObject.Sign, QuoteFindingCodes.AkNotSigning, "sign"),
        (TpmaObject.FixedTpm, QuoteFindingCodes.AkNotFixedTpm, "fixedTPM"),
        (TpmaObject.FixedParent, QuoteFindingCodes.AkNotFixedParent, "fixedParent"),
        (TpmaObject.SensitiveDataOrigin, QuoteFindingCodes.AkNotSensitiveDataOrigin, "sensitiveDataOrigin"),
    ];

    /// <summary>The findings for <paramref name="attributes"/>; empty when the AK is acceptable.</summary>
    public static IReadOnlyList<Finding> Check(TpmaObject attributes)
    {
        List<Finding>? findings = null;
        foreach ((TpmaObject bit, string code, string name) in Required)
        {
            if ((attributes & bit) == 0)
            {
                (findings ??= []).Add(Finding.Failure(code, $"AK objectAttributes 0x{(uint)attributes:x8} lack {name} (0x{(uint)bit:x8})."));
            }
        }

        if ((attributes & TpmaObject.Decrypt) != 0)
        {
            (findings ??= []).Add(Finding.Failure(QuoteFindingCodes.AkDecryptForbidden,
                $"AK objectAttributes 0x{(uint)attributes:x8} have decrypt (0x00020000) set."));
        }

        return findings ?? (IReadOnlyList<Finding>)[];
    }

    /// <summary>The findings for an AK public area.</summary>
    public static IReadOnlyList<Finding> Check(TpmtPublic ak)
    {
        ArgumentNullException.ThrowIfNull(ak);
        return Check(ak.ObjectAttributes);
    }
}
