using KcryptPush.Tpm.Types;
using KcryptPush.Verifier.Attestation;

namespace KcryptPush.Verifier.Operator;

/// <summary>Checks of operator input shared by the consumers and the command line.</summary>
public static class OperatorInput
{
    /// <summary>PCRs of a PC Client TPM: 0..23 (TCG PC Client Platform TPM Profile §4.6).</summary>
    public const int PcrCount = 24;

    /// <summary>Longest label, operator name or quarantine reason accepted.</summary>
    public const int MaxTextLength = 256;

    /// <summary>A TPM hash: 64 lowercase hex digits (SHA-256 of the EK's DER SubjectPublicKeyInfo).</summary>
    public static bool IsTpmHash(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigitLower);

    /// <summary>The digest size in bytes of a PCR bank by name (<c>sha1</c> 20, <c>sha256</c> 32, <c>sha384</c> 48, <c>sha512</c> 64).</summary>
    public static bool TryDigestSize(string? bank, out int size)
    {
        size = TpmAlgorithms.TryParsePcrBank(bank, out TpmAlgId alg) ? TpmAlgorithms.GetDigestSize(alg) : 0;
        return size > 0;
    }

    /// <summary>
    /// What is wrong with <paramref name="value"/> as the enforced value of a PCR in <paramref name="bank"/>
    /// (hex, exactly the bank's digest size), or null.
    /// </summary>
    public static string? PcrValueProblem(string bank, string? value)
    {
        if (!TryDigestSize(bank, out int size))
        {
            return $"unknown PCR bank '{bank}' (sha1, sha256, sha384, sha512)";
        }

        if (value is null || value.Length != 2 * size || !value.All(char.IsAsciiHexDigit))
        {
            return $"a {bank} PCR value is {2 * size} hex digits ({size} bytes), not '{value}'";
        }

        return null;
    }

    /// <summary>A label, operator name or reason: non-blank, no control characters, at most <see cref="MaxTextLength"/>.</summary>
    public static bool IsText(string? value) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= MaxTextLength && !value.Any(char.IsControl);
}
