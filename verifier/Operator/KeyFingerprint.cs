using System.Security.Cryptography;

namespace KcryptPush.Verifier.Operator;

/// <summary>
/// The fingerprint an operator compares out of band before trusting a verifier's secret transport key:
/// <c>SHA256:</c> and the unpadded base64 of SHA-256 over the DER SubjectPublicKeyInfo, the form
/// OpenSSH prints for host keys, so it reads the same in a terminal and in <c>known_verifiers</c>.
/// </summary>
public static class KeyFingerprint
{
    /// <summary>Prefix of every fingerprint.</summary>
    public const string Prefix = "SHA256:";

    /// <summary>Length of a fingerprint: the prefix and 43 base64 characters (256 bits, unpadded).</summary>
    public const int Length = 7 + 43;

    /// <summary>The fingerprint of a DER SubjectPublicKeyInfo.</summary>
    public static string Of(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        Prefix + Convert.ToBase64String(SHA256.HashData(subjectPublicKeyInfo)).TrimEnd('=');

    /// <summary>Whether <paramref name="text"/> has the form of a fingerprint (prefix, 43 base64 characters that decode to 32 bytes).</summary>
    public static bool IsWellFormed(string? text)
    {
        if (text is not { Length: Length } || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[33];
        return Convert.TryFromBase64String(text[Prefix.Length..] + "=", digest, out int written) && written == 32;
    }
}
