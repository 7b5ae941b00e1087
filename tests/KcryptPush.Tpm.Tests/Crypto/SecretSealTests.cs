using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Tests.Crypto;

/// <summary>SecretSeal: AES-256-GCM under a fresh key that is a MakeCredential credential to EK + AK Name.</summary>
[Trait("Category", "Unit")]
public sealed class SecretSealTests
{
    private const string Node = "5f3c1b2a00112233445566778899aabbccddeeff00112233445566778899aabb";

    [Fact]
    public void Rsa_ek_holder_recovers_the_key_and_opens_the_secret()
    {
        using RSA ek = RSA.Create(2048);
        TpmtPublic pub = RsaEk(ek);
        byte[] akName = CredentialTestSupport.RandomName(HashAlgorithmName.SHA256, 0x000B);

        SealedSecretParts sealedSecret = SecretSeal.Seal(pub, akName, Node, "COS_PERSISTENT", "correct horse"u8);

        byte[] seed = CredentialTestSupport.RsaOaepDecrypt(ek.ExportParameters(true), HashAlgorithmName.SHA256, "IDENTITY\0"u8, sealedSecret.EncryptedSecret);
        byte[] key = CredentialTestSupport.Unwrap(Tpm2b(sealedSecret.CredentialBlob), seed, HashAlgorithmName.SHA256, 128, akName);
        Assert.Equal(SecretSeal.KeySize, key.Length);
        Assert.Equal("correct horse", Encoding.UTF8.GetString(SecretSeal.Open(key, Node, sealedSecret)));
        Assert.Equal(12, sealedSecret.Nonce.Length);
        Assert.Equal(16, sealedSecret.Tag.Length);
        Assert.False(sealedSecret.Ciphertext.AsSpan().SequenceEqual("correct horse"u8));
    }

    [Fact]
    public void P384_ek_holder_recovers_the_key()
    {
        using var ek = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        ECParameters q = ek.ExportParameters(false);
        var pub = new TpmtPublic
        {
            Type = TpmAlgId.Ecc, NameAlg = TpmAlgId.Sha384, ObjectAttributes = (TpmaObject)0x000300F2,
            Symmetric = TpmtSymDefObject.Aes256Cfb, Curve = TpmEccCurve.NistP384, UniqueX = q.Q.X!, UniqueY = q.Q.Y!,
        };
        byte[] akName = CredentialTestSupport.RandomName(HashAlgorithmName.SHA256, 0x000B);

        SealedSecretParts s = SecretSeal.Seal(pub, akName, Node, "data", "p384 secret"u8);

        byte[] seed = CredentialTestSupport.EccRecoverSeed(ek, HashAlgorithmName.SHA384, "IDENTITY", s.EncryptedSecret);
        byte[] key = CredentialTestSupport.Unwrap(Tpm2b(s.CredentialBlob), seed, HashAlgorithmName.SHA384, 256, akName);
        Assert.Equal("p384 secret", Encoding.UTF8.GetString(SecretSeal.Open(key, Node, s)));
    }

    [Fact]
    public void Another_node_or_label_or_altered_ciphertext_cannot_open()
    {
        using RSA ek = RSA.Create(2048);
        byte[] akName = CredentialTestSupport.RandomName(HashAlgorithmName.SHA256, 0x000B);
        SealedSecretParts s = SecretSeal.Seal(RsaEk(ek), akName, Node, "COS_PERSISTENT", "pw"u8);
        byte[] seed = CredentialTestSupport.RsaOaepDecrypt(ek.ExportParameters(true), HashAlgorithmName.SHA256, "IDENTITY\0"u8, s.EncryptedSecret);
        byte[] key = CredentialTestSupport.Unwrap(Tpm2b(s.CredentialBlob), seed, HashAlgorithmName.SHA256, 128, akName);

        Assert.ThrowsAny<CryptographicException>(() => SecretSeal.Open(key, Node.Replace('5', '6'), s));
        Assert.ThrowsAny<CryptographicException>(() => SecretSeal.Open(key, Node, s with { Label = "OTHER" }));
        byte[] altered = (byte[])s.Ciphertext.Clone();
        altered[0] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => SecretSeal.Open(key, Node, s with { Ciphertext = altered }));
    }

    [Fact]
    public void A_different_ak_name_does_not_unwrap_the_key()
    {
        using RSA ek = RSA.Create(2048);
        byte[] akName = CredentialTestSupport.RandomName(HashAlgorithmName.SHA256, 0x000B);
        byte[] otherAk = CredentialTestSupport.RandomName(HashAlgorithmName.SHA256, 0x000B);
        SealedSecretParts s = SecretSeal.Seal(RsaEk(ek), akName, Node, "l", "pw"u8);
        byte[] seed = CredentialTestSupport.RsaOaepDecrypt(ek.ExportParameters(true), HashAlgorithmName.SHA256, "IDENTITY\0"u8, s.EncryptedSecret);

        // The outer HMAC covers the AK Name: unwrapping under another Name fails its integrity check.
        Assert.Throws<CryptographicException>(() => CredentialTestSupport.Unwrap(Tpm2b(s.CredentialBlob), seed, HashAlgorithmName.SHA256, 128, otherAk));
    }

    [Fact]
    public void Every_seal_uses_a_fresh_key_and_nonce()
    {
        using RSA ek = RSA.Create(2048);
        byte[] akName = CredentialTestSupport.RandomName(HashAlgorithmName.SHA256, 0x000B);
        SealedSecretParts a = SecretSeal.Seal(RsaEk(ek), akName, Node, "l", "same"u8);
        SealedSecretParts b = SecretSeal.Seal(RsaEk(ek), akName, Node, "l", "same"u8);
        Assert.NotEqual(a.Nonce, b.Nonce);
        Assert.NotEqual(a.Ciphertext, b.Ciphertext);
        Assert.NotEqual(a.EncryptedSecret, b.EncryptedSecret);
    }

    [Fact]
    public void A_sha1_ek_is_refused_because_the_key_does_not_fit_its_digest()
    {
        using RSA ek = RSA.Create(2048);
        TpmtPublic pub = RsaEk(ek, TpmAlgId.Sha1);
        var e = Assert.Throws<ArgumentException>(() => SecretSeal.Seal(pub, [0, 4, 1, 2, 3], Node, "l", "pw"u8));
        Assert.Contains("32-byte", e.Message, StringComparison.Ordinal);
    }

    private static TpmtPublic RsaEk(RSA ek, TpmAlgId nameAlg = TpmAlgId.Sha256) => new()
    {
        Type = TpmAlgId.Rsa,
        NameAlg = nameAlg,
        ObjectAttributes = (TpmaObject)0x000300B2,
        Symmetric = TpmtSymDefObject.Aes128Cfb,
        KeyBits = 2048,
        Unique = ek.ExportParameters(false).Modulus!,
    };

    private static byte[] Tpm2b(byte[] contents)
    {
        byte[] r = new byte[2 + contents.Length];
        BinaryPrimitives.WriteUInt16BigEndian(r, (ushort)contents.Length);
        contents.CopyTo(r, 2);
        return r;
    }
}
