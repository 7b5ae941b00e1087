using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace KcryptPush.Tpm.Crypto;

/// <summary>
/// RSAES-OAEP encryption with a label (RFC 8017 §7.1.1), as the TPM expects for secrets sent to
/// an RSA storage or endorsement key (TPM 2.0 Part 1 §B.10.3, "RSA Secret Sharing": the label is
/// "IDENTITY", "DUPLICATE" or "SECRET" including its terminating zero; hash and MGF1 hash are the
/// key's nameAlg).
/// </summary>
/// <remarks>
/// .NET's <see cref="RSAEncryptionPadding"/> cannot carry a label, so EME-OAEP is encoded here and the
/// public key is applied with <see cref="BigInteger.ModPow"/>. Only the public key is involved: no
/// secret-dependent timing arises on this side.
/// </remarks>
public static class RsaOaepWithLabel
{
    /// <summary>The public exponent a TPM means by 0 in TPMS_RSA_PARMS.exponent.</summary>
    public const int DefaultExponent = 65537;

    /// <summary>
    /// Encrypts <paramref name="message"/> to <paramref name="publicKey"/> with RSAES-OAEP,
    /// hash = MGF1 hash = <paramref name="hash"/>, and the label bytes exactly as given (pass the
    /// terminating zero yourself, e.g. "IDENTITY\0").
    /// </summary>
    /// <param name="publicKey">Modulus and exponent; a missing or zero exponent means 65537.</param>
    /// <exception cref="ArgumentException">No modulus, an unsupported hash, or a message too long for the key.</exception>
    public static byte[] Encrypt(RSAParameters publicKey, HashAlgorithmName hash, ReadOnlySpan<byte> label, ReadOnlySpan<byte> message)
    {
        int hLen = TpmHashAlgorithms.DigestSize(hash, nameof(hash));
        byte[] seed = RandomNumberGenerator.GetBytes(hLen);
        return Encrypt(publicKey, hash, label, message, seed);
    }

    /// <summary>As <see cref="Encrypt(RSAParameters, HashAlgorithmName, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> with a caller-chosen OAEP seed (known-answer tests only).</summary>
    internal static byte[] Encrypt(RSAParameters publicKey, HashAlgorithmName hash, ReadOnlySpan<byte> label, ReadOnlySpan<byte> message, ReadOnlySpan<byte> oaepSeed)
    {
        ReadOnlySpan<byte> modulus = TrimLeadingZeros(publicKey.Modulus);
        if (modulus.IsEmpty)
        {
            throw new ArgumentException("the RSA public key has no modulus", nameof(publicKey));
        }
        int k = modulus.Length;
        byte[] encoded = EncodeEme(hash, message, label, oaepSeed, k);

        var n = new BigInteger(modulus, isUnsigned: true, isBigEndian: true);
        var e = ExponentOf(publicKey);
        var m = new BigInteger(encoded, isUnsigned: true, isBigEndian: true);
        BigInteger c = BigInteger.ModPow(m, e, n);

        // I2OSP(c, k): big-endian, left-padded with zeros to the modulus length.
        byte[] output = new byte[k];
        int size = c.GetByteCount(isUnsigned: true);
        c.TryWriteBytes(output.AsSpan(k - size), out _, isUnsigned: true, isBigEndian: true);
        return output;
    }

    /// <summary>
    /// EME-OAEP encoding (RFC 8017 §7.1.1 step 2): EM = 00 ‖ maskedSeed ‖ maskedDB with
    /// DB = Hash(label) ‖ PS ‖ 01 ‖ M.
    /// </summary>
    internal static byte[] EncodeEme(HashAlgorithmName hash, ReadOnlySpan<byte> message, ReadOnlySpan<byte> label, ReadOnlySpan<byte> seed, int k)
    {
        int hLen = TpmHashAlgorithms.DigestSize(hash, nameof(hash));
        if (seed.Length != hLen)
        {
            throw new ArgumentException($"the OAEP seed must have {hLen} bytes, not {seed.Length}", nameof(seed));
        }
        int maxMessage = k - 2 * hLen - 2;
        if (message.Length > maxMessage)
        {
            throw new ArgumentException(
                $"a {message.Length}-byte message does not fit RSAES-OAEP with a {k * 8}-bit key and {hash.Name} (at most {Math.Max(maxMessage, 0)} bytes)",
                nameof(message));
        }

        byte[] em = new byte[k];
        Span<byte> maskedSeed = em.AsSpan(1, hLen);
        Span<byte> db = em.AsSpan(1 + hLen);

        CryptographicOperations.HashData(hash, label, db[..hLen]);
        db[db.Length - message.Length - 1] = 0x01;
        message.CopyTo(db[(db.Length - message.Length)..]);

        Mgf1Xor(hash, seed, db);
        seed.CopyTo(maskedSeed);
        Mgf1Xor(hash, db, maskedSeed);
        return em;
    }

    /// <summary>target ^= MGF1(hash, mgfSeed, target.Length) (RFC 8017 §B.2.1).</summary>
    internal static void Mgf1Xor(HashAlgorithmName hash, ReadOnlySpan<byte> mgfSeed, Span<byte> target)
    {
        using var digest = IncrementalHash.CreateHash(hash);
        Span<byte> counter = stackalloc byte[4];
        Span<byte> block = stackalloc byte[digest.HashLengthInBytes];
        uint i = 0;
        for (int offset = 0; offset < target.Length; offset += block.Length, i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(counter, i);
            digest.AppendData(mgfSeed);
            digest.AppendData(counter);
            digest.GetHashAndReset(block);
            int n = Math.Min(block.Length, target.Length - offset);
            for (int j = 0; j < n; j++)
            {
                target[offset + j] ^= block[j];
            }
        }
    }

    private static BigInteger ExponentOf(RSAParameters key)
    {
        ReadOnlySpan<byte> exponent = TrimLeadingZeros(key.Exponent);
        return exponent.IsEmpty ? new BigInteger(DefaultExponent) : new BigInteger(exponent, isUnsigned: true, isBigEndian: true);
    }

    private static ReadOnlySpan<byte> TrimLeadingZeros(byte[]? value)
    {
        ReadOnlySpan<byte> span = value;
        int first = span.IndexOfAnyExcept((byte)0);
        return first < 0 ? [] : span[first..];
    }
}
