using System.Security.Cryptography;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Tests.Crypto;

/// <summary>MakeCredential.ForEk: the parameters come from the EK's TPMT_PUBLIC.</summary>
[Trait("Category", "Unit")]
public sealed class MakeCredentialForEkTests
{
    [Fact]
    public void An_h3_like_ecc_ek_uses_sha384_and_aes256_from_its_public_area()
    {
        using var ek = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        ECParameters q = ek.ExportParameters(false);
        var pub = new TpmtPublic
        {
            Type = TpmAlgId.Ecc,
            NameAlg = TpmAlgId.Sha384,
            ObjectAttributes = (TpmaObject)0x000300F2,
            Symmetric = TpmtSymDefObject.Aes256Cfb,
            Curve = TpmEccCurve.NistP384,
            UniqueX = q.Q.X!,
            UniqueY = q.Q.Y!,
        };
        byte[] akName = CredentialTestSupport.RandomName(HashAlgorithmName.SHA384, 0x000C);
        byte[] credential = RandomNumberGenerator.GetBytes(48);

        CredentialBlob blob = MakeCredential.ForEk(pub, akName, credential);

        byte[] seed = CredentialTestSupport.EccRecoverSeed(ek, HashAlgorithmName.SHA384, "IDENTITY", blob.EncryptedSecretContents.Span);
        Assert.Equal(credential, CredentialTestSupport.Unwrap(blob.IdObject, seed, HashAlgorithmName.SHA384, 256, akName));
    }

    [Fact]
    public void An_l1_like_rsa_ek_with_exponent_zero_uses_sha256_aes128_and_65537()
    {
        using RSA ek = RSA.Create(2048);
        var pub = new TpmtPublic
        {
            Type = TpmAlgId.Rsa,
            NameAlg = TpmAlgId.Sha256,
            ObjectAttributes = (TpmaObject)0x000300B2,
            Symmetric = TpmtSymDefObject.Aes128Cfb,
            KeyBits = 2048,
            Exponent = 0,
            Unique = ek.ExportParameters(false).Modulus!,
        };
        byte[] akName = CredentialTestSupport.RandomName(HashAlgorithmName.SHA256, 0x000B);
        byte[] credential = RandomNumberGenerator.GetBytes(32);

        CredentialBlob blob = MakeCredential.ForEk(pub, akName, credential);

        byte[] seed = CredentialTestSupport.RsaOaepDecrypt(ek.ExportParameters(true), HashAlgorithmName.SHA256, "IDENTITY\0"u8, blob.EncryptedSecretContents.Span);
        Assert.Equal(credential, CredentialTestSupport.Unwrap(blob.IdObject, seed, HashAlgorithmName.SHA256, 128, akName));
        Assert.Equal(TpmHash.Of(ek), TpmHash.Of(pub));
    }

    [Fact]
    public void A_key_without_a_symmetric_algorithm_is_refused()
    {
        using RSA key = RSA.Create(2048);
        var pub = new TpmtPublic
        {
            Type = TpmAlgId.Rsa,
            NameAlg = TpmAlgId.Sha256,
            ObjectAttributes = (TpmaObject)0x00050072,
            KeyBits = 2048,
            Unique = key.ExportParameters(false).Modulus!,
        };

        var e = Assert.Throws<ArgumentException>(() => MakeCredential.ForEk(pub, [0x00, 0x0B, 1, 2], new byte[16]));
        Assert.Contains("AES", e.Message, StringComparison.Ordinal);
    }
}
