using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KcryptPush.Tpm.Crypto;

/// <summary>
/// The TPM hash: lowercase hex SHA-256 of the EK public key as a DER SubjectPublicKeyInfo
/// (RFC 5280 §4.1.2.7), i.e. what <c>openssl pkey -pubin -outform DER | sha256sum</c> prints. It is
/// kcrypt-challenger's <c>TPMHash</c> and our node identity.
/// </summary>
public static partial class TpmHash
{
    /// <summary>The TPM hash of an EK public key (RSA, ECDsa or ECDiffieHellman).</summary>
    public static string Of(AsymmetricAlgorithm ekPublic)
    {
        ArgumentNullException.ThrowIfNull(ekPublic);
        return Hash(ekPublic.ExportSubjectPublicKeyInfo());
    }

    /// <summary>The TPM hash of an RSA EK given as modulus and exponent (missing or 0 = 65537).</summary>
    public static string Of(RSAParameters ekPublic)
    {
        var key = new RSAParameters
        {
            Modulus = ekPublic.Modulus,
            Exponent = ekPublic.Exponent is { } e && e.AsSpan().IndexOfAnyExcept((byte)0) >= 0 ? e : [0x01, 0x00, 0x01],
        };
        using RSA rsa = RSA.Create(key);
        return Of(rsa);
    }

    /// <summary>The TPM hash of an ECC EK given as named curve and point.</summary>
    public static string Of(ECParameters ekPublic)
    {
        using ECDsa ecdsa = ECDsa.Create(ekPublic);
        return Of(ecdsa);
    }

    /// <summary>The TPM hash of the public key an EK certificate certifies.</summary>
    public static string Of(X509Certificate2 ekCertificate)
    {
        ArgumentNullException.ThrowIfNull(ekCertificate);
        return Hash(ekCertificate.PublicKey.ExportSubjectPublicKeyInfo());
    }

    /// <summary>The TPM hash of a DER SubjectPublicKeyInfo.</summary>
    /// <exception cref="CryptographicException">The bytes are not exactly one DER SubjectPublicKeyInfo.</exception>
    public static string FromSubjectPublicKeyInfo(ReadOnlySpan<byte> der)
    {
        // Refuse anything that is not one well-formed SubjectPublicKeyInfo: an identity must never be
        // the hash of whatever bytes happened to arrive.
        _ = PublicKey.CreateFromSubjectPublicKeyInfo(der, out int read);
        if (read != der.Length)
        {
            throw new CryptographicException($"{der.Length - read} bytes follow the SubjectPublicKeyInfo");
        }
        return Hash(der);
    }

    private static string Hash(ReadOnlySpan<byte> der) => Convert.ToHexStringLower(SHA256.HashData(der));
}
