using System.Buffers.Binary;
using System.Security.Cryptography;
using KcryptPush.Tpm.Crypto;

namespace KcryptPush.Tpm.Tests.Crypto;

[Trait("Category", "Unit")]
public sealed class MakeCredentialTests
{
    // The symmetric + integrity wrap for a fixed seed, against a one-off Python 3 computation
    // (hmac/hashlib for KDFa and the outer HMAC, the `cryptography` package's AES-CFB with a zero IV):
    //   symKey = KDFa(H, seed, "STORAGE", name, b"", kb); enc = AES-CFB(symKey, 0, pack(">H", len(cv)) + cv)
    //   mac = HMAC-H(KDFa(H, seed, "INTEGRITY", b"", b"", 8·|H|), enc + name)
    //   blob = pack(">H", total) + pack(">H", |H|) + mac + enc
    // Case 1: seed 00..1f, name = 000b ‖ SHA256("ak"), cv = "0123456789abcdef", AES-128.
    // Case 2: seed 64..93, name = 000c ‖ SHA384("ak"), cv = 00..2f, AES-256.
    [Theory]
    [InlineData("SHA256", 128, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "000b7f093592aebbb47767b5655699cdab8c86c4b24f5c93e3b22a3c2538856e9bf1",
        "30313233343536373839616263646566",
        "00340020c5dcd6e7f106229bba810afa391b836c637bcafc9f73337d7cc5431dae813d27fe811d20d71f136742b70c58b45a23333831")]
    [InlineData("SHA384", 256, "6465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f90919293",
        "000c8a0d33a75b30dbb726787c11ae2919426b17f7f5bc1f84bff59fa13e355a005c1366fb07794f9b8b3e265bc6fe826ffc",
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f",
        "00640030ffeca4c4b9ec7269b4da08583ce37cdf78d6eeaa760bbc71f7583d58f634a9e83064bda154a1248f37f478f35410a83f3e4acd0613e8a670735da6a25a99ffaa6b076ad499d034a0dc24707d31a56017c3b6bc6daddf44a83cbe3399a73836c34af2")]
    public void The_wrap_for_a_given_seed_matches_an_independent_computation(
        string hash, int symKeyBits, string seed, string name, string credential, string expectedIdObject)
    {
        var shared = new SharedSeed(Convert.FromHexString(seed), [0xAA, 0xBB]);

        CredentialBlob blob = MakeCredential.Protect(
            shared, new HashAlgorithmName(hash), symKeyBits, Convert.FromHexString(name), Convert.FromHexString(credential));

        Assert.Equal(expectedIdObject, Convert.ToHexStringLower(blob.IdObject));
        Assert.Equal("0002aabb", Convert.ToHexStringLower(blob.EncryptedSecret));
    }

    [Theory]
    [InlineData("SHA256", 0x000B, 128, 2048, 32)]
    [InlineData("SHA256", 0x000B, 128, 2048, 1)]
    [InlineData("SHA384", 0x000C, 256, 3072, 48)]
    [InlineData("SHA1", 0x0004, 128, 2048, 20)]
    public void An_rsa_ek_credential_is_recovered_by_software_activation(string hash, ushort algId, int symKeyBits, int rsaBits, int credentialSize)
    {
        using RSA ek = RSA.Create(rsaBits);
        var nameAlg = new HashAlgorithmName(hash);
        byte[] akName = CredentialTestSupport.RandomName(nameAlg, algId);
        byte[] credential = RandomNumberGenerator.GetBytes(credentialSize);

        CredentialBlob blob = MakeCredential.ForRsaEk(ek.ExportParameters(false), nameAlg, symKeyBits, akName, credential);

        Assert.Equal(2 + rsaBits / 8, blob.EncryptedSecret.Length);
        Assert.Equal(rsaBits / 8, BinaryPrimitives.ReadUInt16BigEndian(blob.EncryptedSecret));
        byte[] seed = CredentialTestSupport.RsaOaepDecrypt(ek.ExportParameters(true), nameAlg, "IDENTITY\0"u8, blob.EncryptedSecretContents.Span);
        Assert.Equal(credential, CredentialTestSupport.Unwrap(blob.IdObject, seed, nameAlg, symKeyBits, akName));
    }

    [Theory]
    [InlineData("nistP256", "SHA256", 0x000B, 128, 68)]
    [InlineData("nistP384", "SHA384", 0x000C, 256, 100)]
    public void An_ecc_ek_credential_is_recovered_by_software_activation(string curve, string hash, ushort algId, int symKeyBits, int pointSize)
    {
        using var ek = ECDiffieHellman.Create(ECCurve.CreateFromFriendlyName(curve));
        var nameAlg = new HashAlgorithmName(hash);
        byte[] akName = CredentialTestSupport.RandomName(nameAlg, algId);
        byte[] credential = RandomNumberGenerator.GetBytes(CryptographicOperations.HashData(nameAlg, []).Length);

        CredentialBlob blob = MakeCredential.ForEccEk(ek.ExportParameters(false), nameAlg, symKeyBits, akName, credential);

        Assert.Equal(2 + pointSize, blob.EncryptedSecret.Length);
        byte[] seed = CredentialTestSupport.EccRecoverSeed(ek, nameAlg, "IDENTITY", blob.EncryptedSecretContents.Span);
        Assert.Equal(credential, CredentialTestSupport.Unwrap(blob.IdObject, seed, nameAlg, symKeyBits, akName));
    }

    [Fact]
    public void The_id_object_layout_is_size_then_hmac_digest_then_the_encrypted_identity()
    {
        using var ek = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        byte[] akName = CredentialTestSupport.RandomName(HashAlgorithmName.SHA384, 0x000C);

        CredentialBlob blob = MakeCredential.ForEccEk(ek.ExportParameters(false), HashAlgorithmName.SHA384, 256, akName, new byte[20]);

        // size ‖ UINT16 48 ‖ 48-byte HMAC ‖ (2 + 20) bytes of encIdentity
        Assert.Equal(2 + 2 + 48 + 22, blob.IdObject.Length);
        Assert.Equal(blob.IdObject.Length - 2, BinaryPrimitives.ReadUInt16BigEndian(blob.IdObject));
        Assert.Equal(48, BinaryPrimitives.ReadUInt16BigEndian(blob.IdObject.AsSpan(2)));
        Assert.Equal(blob.IdObject.AsSpan(2).ToArray(), blob.IdObjectContents.ToArray());
    }

    [Fact]
    public void The_credential_is_bound_to_the_ak_name()
    {
        using RSA ek = RSA.Create(2048);
        byte[] akName = CredentialTestSupport.RandomName(HashAlgorithmName.SHA256, 0x000B);
        byte[] otherName = CredentialTestSupport.RandomName(HashAlgorithmName.SHA256, 0x000B);

        CredentialBlob blob = MakeCredential.ForRsaEk(ek.ExportParameters(false), HashAlgorithmName.SHA256, 128, akName, new byte[32]);
        byte[] seed = CredentialTestSupport.RsaOaepDecrypt(ek.ExportParameters(true), HashAlgorithmName.SHA256, "IDENTITY\0"u8, blob.EncryptedSecretContents.Span);

        var e = Assert.Throws<CryptographicException>(
            () => CredentialTestSupport.Unwrap(blob.IdObject, seed, HashAlgorithmName.SHA256, 128, otherName));
        Assert.Contains("integrity", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_call_uses_a_fresh_seed()
    {
        using RSA ek = RSA.Create(2048);
        byte[] akName = CredentialTestSupport.RandomName(HashAlgorithmName.SHA256, 0x000B);

        CredentialBlob a = MakeCredential.ForRsaEk(ek.ExportParameters(false), HashAlgorithmName.SHA256, 128, akName, new byte[32]);
        CredentialBlob b = MakeCredential.ForRsaEk(ek.ExportParameters(false), HashAlgorithmName.SHA256, 128, akName, new byte[32]);

        Assert.NotEqual(a.EncryptedSecret, b.EncryptedSecret);
        Assert.NotEqual(a.IdObject, b.IdObject);
    }

    [Fact]
    public void A_credential_longer_than_the_ek_name_digest_is_refused()
    {
        using RSA ek = RSA.Create(2048);
        byte[] akName = CredentialTestSupport.RandomName(HashAlgorithmName.SHA256, 0x000B);

        var e = Assert.Throws<ArgumentException>(
            () => MakeCredential.ForRsaEk(ek.ExportParameters(false), HashAlgorithmName.SHA256, 128, akName, new byte[33]));
        Assert.Equal("credential", e.ParamName);
    }

    [Fact]
    public void An_empty_ak_name_is_refused()
    {
        using var ek = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        var e = Assert.Throws<ArgumentException>(
            () => MakeCredential.ForEccEk(ek.ExportParameters(false), HashAlgorithmName.SHA256, 128, [], new byte[16]));
        Assert.Equal("akName", e.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    [InlineData(512)]
    public void A_symmetric_key_size_that_is_not_aes_is_refused(int bits)
    {
        using RSA ek = RSA.Create(2048);

        var e = Assert.Throws<ArgumentException>(
            () => MakeCredential.ForRsaEk(ek.ExportParameters(false), HashAlgorithmName.SHA256, bits, [0, 0x0B, 1], new byte[16]));
        Assert.Equal("symKeyBits", e.ParamName);
    }

    [Fact]
    public void An_unsupported_name_algorithm_is_refused()
    {
        using RSA ek = RSA.Create(2048);

        var e = Assert.Throws<ArgumentException>(
            () => MakeCredential.ForRsaEk(ek.ExportParameters(false), HashAlgorithmName.MD5, 128, [0, 0x0B, 1], new byte[16]));
        Assert.Equal("ekNameAlg", e.ParamName);
    }
}
