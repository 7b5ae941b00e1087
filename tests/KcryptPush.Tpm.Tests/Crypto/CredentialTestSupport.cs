using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using KcryptPush.Tpm.Crypto;

namespace KcryptPush.Tpm.Tests.Crypto;

/// <summary>
/// Test-only inverses of our credential code: the TPM's half of secret sharing and
/// TPM2_ActivateCredential done in software with the EK's private key, for round trips. The
/// decisive check is tpm2_activatecredential on swtpm (integration tests).
/// </summary>
internal static class CredentialTestSupport
{
    /// <summary>RSAES-OAEP decryption with a label (RFC 8017 §7.1.2) over a raw private-key ModPow.</summary>
    public static byte[] RsaOaepDecrypt(RSAParameters privateKey, HashAlgorithmName hash, ReadOnlySpan<byte> label, ReadOnlySpan<byte> ciphertext)
    {
        int k = privateKey.Modulus!.Length;
        var n = new BigInteger(privateKey.Modulus, isUnsigned: true, isBigEndian: true);
        var d = new BigInteger(privateKey.D, isUnsigned: true, isBigEndian: true);
        var c = new BigInteger(ciphertext, isUnsigned: true, isBigEndian: true);
        BigInteger m = BigInteger.ModPow(c, d, n);
        byte[] em = new byte[k];
        m.TryWriteBytes(em.AsSpan(k - m.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);

        int hLen = CryptographicOperations.HashData(hash, []).Length;
        if (em[0] != 0)
        {
            throw new CryptographicException("OAEP: leading byte is not zero");
        }
        byte[] seed = em.AsSpan(1, hLen).ToArray();
        byte[] db = em.AsSpan(1 + hLen).ToArray();
        RsaOaepWithLabel.Mgf1Xor(hash, db, seed);
        RsaOaepWithLabel.Mgf1Xor(hash, seed, db);
        if (!db.AsSpan(0, hLen).SequenceEqual(CryptographicOperations.HashData(hash, label)))
        {
            throw new CryptographicException("OAEP: label hash mismatch");
        }
        int one = db.AsSpan(hLen).IndexOfAnyExcept((byte)0) + hLen;
        if (one < hLen || db[one] != 0x01)
        {
            throw new CryptographicException("OAEP: no 01 separator");
        }
        return db.AsSpan(one + 1).ToArray();
    }

    /// <summary>The seed an ECC EK recovers from a TPMS_ECC_POINT (the TPM's side of C.6.1).</summary>
    public static byte[] EccRecoverSeed(ECDiffieHellman ekPrivate, HashAlgorithmName nameAlg, string label, ReadOnlySpan<byte> eccPoint)
    {
        int xSize = BinaryPrimitives.ReadUInt16BigEndian(eccPoint);
        byte[] x = eccPoint.Slice(2, xSize).ToArray();
        int ySize = BinaryPrimitives.ReadUInt16BigEndian(eccPoint[(2 + xSize)..]);
        byte[] y = eccPoint.Slice(4 + xSize, ySize).ToArray();
        if (4 + xSize + ySize != eccPoint.Length)
        {
            throw new CryptographicException("trailing bytes after TPMS_ECC_POINT");
        }

        ECParameters ek = ekPrivate.ExportParameters(includePrivateParameters: false);
        using var ephemeral = ECDiffieHellman.Create(new ECParameters { Curve = ek.Curve, Q = new ECPoint { X = x, Y = y } });
        byte[] z = ekPrivate.DeriveRawSecretAgreement(ephemeral.PublicKey);
        int hLen = CryptographicOperations.HashData(nameAlg, []).Length;
        return KeyDerivation.Kdfe(nameAlg, z, label, x, ek.Q.X, 8 * hLen);
    }

    /// <summary>TPM2_ActivateCredential's unwrap (Part 1 §24; reference CredentialToSecret) given the seed.</summary>
    public static byte[] Unwrap(ReadOnlySpan<byte> idObjectTpm2b, ReadOnlySpan<byte> seed, HashAlgorithmName nameAlg, int symKeyBits, ReadOnlySpan<byte> akName)
    {
        int total = BinaryPrimitives.ReadUInt16BigEndian(idObjectTpm2b);
        if (total != idObjectTpm2b.Length - 2)
        {
            throw new CryptographicException("TPM2B_ID_OBJECT size does not match");
        }
        ReadOnlySpan<byte> body = idObjectTpm2b[2..];
        int hmacSize = BinaryPrimitives.ReadUInt16BigEndian(body);
        ReadOnlySpan<byte> outerHmac = body.Slice(2, hmacSize);
        ReadOnlySpan<byte> encIdentity = body[(2 + hmacSize)..];

        int hLen = CryptographicOperations.HashData(nameAlg, []).Length;
        byte[] hmacKey = KeyDerivation.Kdfa(nameAlg, seed, "INTEGRITY", [], [], 8 * hLen);
        using var hmac = IncrementalHash.CreateHMAC(nameAlg, hmacKey);
        hmac.AppendData(encIdentity);
        hmac.AppendData(akName);
        if (!CryptographicOperations.FixedTimeEquals(hmac.GetHashAndReset(), outerHmac))
        {
            throw new CryptographicException("integrity check failed (TPM_RC_INTEGRITY)");
        }

        byte[] symKey = KeyDerivation.Kdfa(nameAlg, seed, "STORAGE", akName, [], symKeyBits);
        byte[] plain = TpmAesCfb.Decrypt(symKey, encIdentity);
        int size = BinaryPrimitives.ReadUInt16BigEndian(plain);
        if (size != plain.Length - 2)
        {
            throw new CryptographicException("credential size does not match");
        }
        return plain.AsSpan(2).ToArray();
    }

    /// <summary>An AK-like Name: nameAlg UINT16 ‖ digest of random bytes.</summary>
    public static byte[] RandomName(HashAlgorithmName nameAlg, ushort algId)
    {
        byte[] digest = CryptographicOperations.HashData(nameAlg, RandomNumberGenerator.GetBytes(16));
        byte[] name = new byte[2 + digest.Length];
        BinaryPrimitives.WriteUInt16BigEndian(name, algId);
        digest.CopyTo(name.AsSpan(2));
        return name;
    }
}
