using System.Buffers.Binary;
using System.Security.Cryptography;

namespace KcryptPush.Tpm.Crypto;

/// <summary>
/// A seed shared with the holder of a TPM decryption key, and the TPM2B_ENCRYPTED_SECRET contents
/// that let only that key recover it.
/// </summary>
/// <param name="Seed">The seed (|nameAlg| bytes). Secret: wipe it when done.</param>
/// <param name="EncryptedSecret">The TPM2B_ENCRYPTED_SECRET contents, without the UINT16 size.</param>
public sealed record SharedSeed(byte[] Seed, byte[] EncryptedSecret);

/// <summary>
/// Secret sharing with a TPM key (TPM 2.0 Part 1 Annex B.10.3 RSA and C.6.1 ECC; reference code
/// CryptSecretEncrypt): the caller-side half of TPM2_ActivateCredential, TPM2_Import and salted
/// sessions, told apart by the label ("IDENTITY", "DUPLICATE", "SECRET").
/// </summary>
public static class SecretSharing
{
    /// <summary>
    /// RSA: a random |nameAlg|-byte seed, encrypted with RSAES-OAEP under the key with
    /// hash = MGF1 hash = <paramref name="nameAlg"/> and the label plus its terminating zero.
    /// </summary>
    /// <param name="publicKey">The TPM key's modulus and exponent (missing or 0 = 65537).</param>
    /// <param name="nameAlg">The key's nameAlg.</param>
    /// <param name="label">The label without its terminating zero, e.g. "IDENTITY".</param>
    public static SharedSeed ForRsa(RSAParameters publicKey, HashAlgorithmName nameAlg, string label)
    {
        int size = TpmHashAlgorithms.DigestSize(nameAlg, nameof(nameAlg));
        byte[] seed = RandomNumberGenerator.GetBytes(size);
        byte[] encrypted = RsaOaepWithLabel.Encrypt(publicKey, nameAlg, KeyDerivation.EncodeLabel(label), seed);
        return new SharedSeed(seed, encrypted);
    }

    /// <summary>
    /// ECC: one-pass Diffie-Hellman with a fresh ephemeral key (d, Q) on the TPM key's curve.
    /// Z = x(d·Q_key); seed = KDFe(nameAlg, Z, label, Q.x, Q_key.x, 8·|nameAlg|); the encrypted
    /// secret is Q as TPMS_ECC_POINT (UINT16 size ‖ x ‖ UINT16 size ‖ y, each padded to the curve size).
    /// </summary>
    /// <param name="publicKey">The TPM key's named curve and public point Q.</param>
    /// <exception cref="ArgumentException">No named curve or point, or an unsupported hash.</exception>
    /// <exception cref="CryptographicException">The point is not on the curve, or the curve is not supported here.</exception>
    public static SharedSeed ForEcc(ECParameters publicKey, HashAlgorithmName nameAlg, string label)
    {
        ValidateEccPublic(publicKey);
        using var ephemeral = ECDiffieHellman.Create(publicKey.Curve);
        return ForEcc(publicKey, nameAlg, label, ephemeral);
    }

    /// <summary>As <see cref="ForEcc(ECParameters, HashAlgorithmName, string)"/> with a given ephemeral key (known-answer tests only).</summary>
    internal static SharedSeed ForEcc(ECParameters publicKey, HashAlgorithmName nameAlg, string label, ECDiffieHellman ephemeral)
    {
        int digestSize = TpmHashAlgorithms.DigestSize(nameAlg, nameof(nameAlg));
        _ = KeyDerivation.EncodeLabel(label); // refuse a bad label before any key work
        ValidateEccPublic(publicKey);

        using var tpmKey = ECDiffieHellman.Create(publicKey);
        int coordinateSize = (tpmKey.KeySize + 7) / 8;
        byte[] z = ephemeral.DeriveRawSecretAgreement(tpmKey.PublicKey);
        try
        {
            ECParameters q = ephemeral.ExportParameters(includePrivateParameters: false);
            byte[] qx = PadLeft(q.Q.X!, coordinateSize);
            byte[] qy = PadLeft(q.Q.Y!, coordinateSize);
            byte[] keyX = PadLeft(publicKey.Q.X!, coordinateSize);

            byte[] seed = KeyDerivation.Kdfe(nameAlg, PadLeft(z, coordinateSize), label, qx, keyX, 8 * digestSize);
            return new SharedSeed(seed, EncodeEccPoint(qx, qy));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(z);
        }
    }

    /// <summary>TPMS_ECC_POINT (TPM 2.0 Part 2 §11.2.5.2): TPM2B x ‖ TPM2B y.</summary>
    internal static byte[] EncodeEccPoint(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        byte[] point = new byte[4 + x.Length + y.Length];
        BinaryPrimitives.WriteUInt16BigEndian(point, checked((ushort)x.Length));
        x.CopyTo(point.AsSpan(2));
        BinaryPrimitives.WriteUInt16BigEndian(point.AsSpan(2 + x.Length), checked((ushort)y.Length));
        y.CopyTo(point.AsSpan(4 + x.Length));
        return point;
    }

    private static void ValidateEccPublic(ECParameters publicKey)
    {
        if (!publicKey.Curve.IsNamed)
        {
            throw new ArgumentException("the ECC public key must name its curve (TPM_ECC_NIST_P256, _P384, …)", nameof(publicKey));
        }
        if (publicKey.Q.X is not { Length: > 0 } || publicKey.Q.Y is not { Length: > 0 })
        {
            throw new ArgumentException("the ECC public key has no point", nameof(publicKey));
        }
    }

    private static byte[] PadLeft(byte[] value, int size)
    {
        ReadOnlySpan<byte> trimmed = value;
        while (trimmed.Length > size && trimmed[0] == 0)
        {
            trimmed = trimmed[1..];
        }
        if (trimmed.Length > size)
        {
            throw new ArgumentException($"a {trimmed.Length}-byte coordinate does not fit a {size}-byte curve");
        }
        byte[] padded = new byte[size];
        trimmed.CopyTo(padded.AsSpan(size - trimmed.Length));
        return padded;
    }
}
