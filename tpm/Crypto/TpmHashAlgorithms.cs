using System.Security.Cryptography;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Crypto;

/// <summary>
/// The hash algorithms our TPM crypto accepts (the PCR banks of <see cref="TpmAlgorithms"/>:
/// TPM_ALG_SHA1, _SHA256, _SHA384, _SHA512) and their digest sizes. Everything else is rejected up
/// front, so a typo in a name fails loudly instead of producing bytes no TPM will accept.
/// </summary>
internal static class TpmHashAlgorithms
{
    /// <summary>The digest size in bytes of <paramref name="hash"/>.</summary>
    /// <exception cref="ArgumentException">The algorithm is not SHA-1, SHA-256, SHA-384 or SHA-512.</exception>
    public static int DigestSize(HashAlgorithmName hash, string paramName) =>
        TpmAlgorithms.TryFromHashAlgorithmName(hash, out TpmAlgId alg) && TpmAlgorithms.IsPcrBank(alg)
            ? TpmAlgorithms.GetDigestSize(alg)
            : throw new ArgumentException(
                $"hash algorithm '{hash.Name}' is not supported: expected SHA1, SHA256, SHA384 or SHA512", paramName);
}
