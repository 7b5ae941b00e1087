using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Templates;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Registrar.Tests.Support;

/// <summary>
/// A TPM simulated in software for the registrar's tests: an EK made from the TCG templates (L-1
/// RSA-2048 or L-2 P-256) whose private key .NET holds, an AK public area, and TPM2_ActivateCredential
/// done in software (TPM 2.0 Part 1 §24: recover the seed, check the outer HMAC over
/// encIdentity ‖ AK Name, decrypt with AES-CFB). No real TPM is needed.
/// </summary>
internal sealed class SoftwareTpm : IDisposable
{
    private readonly RSA? _rsa;
    private readonly ECDiffieHellman? _ecc;

    private SoftwareTpm(RSA? rsa, ECDiffieHellman? ecc, TpmtPublic ek, TpmtPublic ak)
    {
        _rsa = rsa;
        _ecc = ecc;
        Ek = ek;
        Ak = ak;
    }

    public TpmtPublic Ek { get; }

    public TpmtPublic Ak { get; }

    public string TpmHash => Tpm.Crypto.TpmHash.Of(Ek);

    public byte[] AkName => Ak.ComputeName();

    /// <summary>The EK as a .NET public key (for certificates).</summary>
    public PublicKey EkPublicKey => PublicKey.CreateFromSubjectPublicKeyInfo(Ek.ExportSubjectPublicKeyInfo(), out _);

    public static SoftwareTpm CreateRsa(TpmaObject? akAttributes = null)
    {
        var rsa = RSA.Create(2048);
        RSAParameters p = rsa.ExportParameters(false);
        TpmtPublic t = EkTemplates.RsaL1();
        var ek = new TpmtPublic
        {
            Type = t.Type, NameAlg = t.NameAlg, ObjectAttributes = t.ObjectAttributes, AuthPolicy = t.AuthPolicy,
            Symmetric = t.Symmetric, Scheme = t.Scheme, KeyBits = t.KeyBits, Exponent = 0, Unique = p.Modulus!,
        };
        return new SoftwareTpm(rsa, null, ek, MakeAk(akAttributes));
    }

    public static SoftwareTpm CreateEcc(TpmaObject? akAttributes = null)
    {
        var ecc = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        ECParameters p = ecc.ExportParameters(false);
        TpmtPublic t = EkTemplates.EccL2();
        var ek = new TpmtPublic
        {
            Type = t.Type, NameAlg = t.NameAlg, ObjectAttributes = t.ObjectAttributes, AuthPolicy = t.AuthPolicy,
            Symmetric = t.Symmetric, Scheme = t.Scheme, Curve = t.Curve, Kdf = t.Kdf, UniqueX = p.Q.X!, UniqueY = p.Q.Y!,
        };
        return new SoftwareTpm(null, ecc, ek, MakeAk(akAttributes));
    }

    /// <summary>The same TPM (same EK private key) with a new AK.</summary>
    public SoftwareTpm WithNewAk()
    {
        RSA? rsa = null;
        ECDiffieHellman? ecc = null;
        if (_rsa is not null)
        {
            rsa = RSA.Create();
            rsa.ImportParameters(_rsa.ExportParameters(true));
        }
        else
        {
            ecc = ECDiffieHellman.Create(_ecc!.ExportParameters(true));
        }

        return new SoftwareTpm(rsa, ecc, Ek, MakeAk());
    }

    /// <summary>A P-256 AK with a fresh point and the given (default: a proper AK's) attributes.</summary>
    public static TpmtPublic MakeAk(TpmaObject? attributes = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters p = key.ExportParameters(false);
        TpmtPublic t = AkTemplates.EccP256();
        return new TpmtPublic
        {
            Type = t.Type, NameAlg = t.NameAlg, ObjectAttributes = attributes ?? t.ObjectAttributes, AuthPolicy = t.AuthPolicy,
            Symmetric = t.Symmetric, Scheme = t.Scheme, Curve = t.Curve, Kdf = t.Kdf, UniqueX = p.Q.X!, UniqueY = p.Q.Y!,
        };
    }

    /// <summary>TPM2_ActivateCredential in software, for the AK whose Name is <paramref name="akName"/>.</summary>
    /// <exception cref="CryptographicException">The integrity check fails (TPM_RC_INTEGRITY): wrong EK or wrong AK Name.</exception>
    public byte[] ActivateCredential(byte[] credentialBlob, byte[] encryptedSecret, byte[]? akName = null)
    {
        akName ??= AkName;
        HashAlgorithmName h = HashAlgorithmName.SHA256;
        const int hashSize = 32;
        byte[] seed = _rsa is not null ? RsaSeed(encryptedSecret) : EccSeed(encryptedSecret);

        int hmacSize = BinaryPrimitives.ReadUInt16BigEndian(credentialBlob);
        byte[] outerHmac = credentialBlob.AsSpan(2, hmacSize).ToArray();
        byte[] encIdentity = credentialBlob.AsSpan(2 + hmacSize).ToArray();
        byte[] hmacKey = KeyDerivation.Kdfa(h, seed, "INTEGRITY", [], [], hashSize * 8);
        byte[] expected = HMACSHA256.HashData(hmacKey, (byte[])[.. encIdentity, .. akName]);
        if (!CryptographicOperations.FixedTimeEquals(expected, outerHmac))
        {
            throw new CryptographicException("TPM_RC_INTEGRITY: the credential blob's outer HMAC does not verify");
        }

        byte[] symKey = KeyDerivation.Kdfa(h, seed, "STORAGE", akName, [], Ek.Symmetric.KeyBits);
        byte[] plain = TpmAesCfb.Decrypt(symKey, encIdentity);
        int size = BinaryPrimitives.ReadUInt16BigEndian(plain);
        return plain.AsSpan(2, size).ToArray();
    }

    private byte[] EccSeed(byte[] encryptedSecret)
    {
        int xLen = BinaryPrimitives.ReadUInt16BigEndian(encryptedSecret);
        byte[] x = encryptedSecret.AsSpan(2, xLen).ToArray();
        int yLen = BinaryPrimitives.ReadUInt16BigEndian(encryptedSecret.AsSpan(2 + xLen));
        byte[] y = encryptedSecret.AsSpan(4 + xLen, yLen).ToArray();
        using var ephemeral = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } });
        byte[] z = _ecc!.DeriveRawSecretAgreement(ephemeral.PublicKey);
        return KeyDerivation.Kdfe(HashAlgorithmName.SHA256, z, "IDENTITY", x, Ek.UniqueX, 256);
    }

    /// <summary>RSAES-OAEP decryption (RFC 8017 §7.1.2) with SHA-256 and the label "IDENTITY\0", which .NET's OAEP cannot take.</summary>
    private byte[] RsaSeed(byte[] encryptedSecret)
    {
        RSAParameters k = _rsa!.ExportParameters(true);
        var n = new BigInteger(k.Modulus, isUnsigned: true, isBigEndian: true);
        var d = new BigInteger(k.D, isUnsigned: true, isBigEndian: true);
        var c = new BigInteger(encryptedSecret, isUnsigned: true, isBigEndian: true);
        byte[] em = new byte[k.Modulus!.Length];
        byte[] m = BigInteger.ModPow(c, d, n).ToByteArray(isUnsigned: true, isBigEndian: true);
        m.CopyTo(em, em.Length - m.Length);

        const int hLen = 32;
        byte[] maskedSeed = em.AsSpan(1, hLen).ToArray();
        byte[] maskedDb = em.AsSpan(1 + hLen).ToArray();
        byte[] seed = Xor(maskedSeed, Mgf1(maskedDb, hLen));
        byte[] db = Xor(maskedDb, Mgf1(seed, maskedDb.Length));
        byte[] lHash = SHA256.HashData("IDENTITY\0"u8);
        if (em[0] != 0 || !db.AsSpan(0, hLen).SequenceEqual(lHash))
        {
            throw new CryptographicException("OAEP decoding error");
        }

        int one = db.AsSpan(hLen).IndexOf((byte)1) + hLen;
        return db.AsSpan(one + 1).ToArray();
    }

    private static byte[] Mgf1(byte[] seed, int length)
    {
        byte[] output = new byte[length];
        for (int i = 0, offset = 0; offset < length; i++, offset += 32)
        {
            byte[] counter = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(counter, i);
            byte[] block = SHA256.HashData((byte[])[.. seed, .. counter]);
            block.AsSpan(0, Math.Min(32, length - offset)).CopyTo(output.AsSpan(offset));
        }

        return output;
    }

    private static byte[] Xor(byte[] a, byte[] b)
    {
        byte[] r = new byte[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            r[i] = (byte)(a[i] ^ b[i]);
        }

        return r;
    }

    public void Dispose()
    {
        _rsa?.Dispose();
        _ecc?.Dispose();
    }
}
