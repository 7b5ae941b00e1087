using System.Security.Cryptography;
using KcryptPush.Tpm.Crypto;

namespace KcryptPush.Tpm.Tests.Crypto;

/// <summary>
/// Secret sharing with an EK: RSAES-OAEP with a label, and the ECC one-pass DH + KDFe seed. Known
/// answers come from chrisfenner/tpm-test-vectors (vectors/rsa_labeled_encaps.json and
/// vectors/ecc_labeled_encaps.json, names kept), which were generated with go-tpm and, where the
/// name says so, checked against a TPM simulator.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CredentialSecretSharingTests
{
    // "07_2048_SHA256_128_restricted": TPMT_PUBLIC 0001 000b 00030460 0000 0006 0080 0043 0010
    // 0800 00000000 0100 ‖ modulus (exponent 0 = 65537), label "SECRET", OAEP seed ("OAEPSalt") given.
    private const string Vector07Modulus =
        "8054bc2c75a670a0d6372d5d37944609a79e94865c48c16c46e9354912f4aab3213c2cb204f104329de5a6e21fd459ad7e5e6e9afbbd8ee14d22ebd23821815be7b3e225ffd06c0097b91b0e0d71c27d5eee235ea37ae1d6ff84ffca71ea9926103ab5da58befeaad5df0de20662cc05096706aeafaaa5b231e6bd0fddbb26c1fa1c9f05861e11525360373789f9e07c96d65f8a9f3483bb7d95e5286ed66b4ae5588e5ed38ab15d40059b5c7d8d9ef0a67d7ab9e0b923f618e5a2cddad5b644080391196d0214d6d4bef749cb8228b947ea0a1feb305414e0023ec6022e1b8098f96a53c1e878ddb85a3dc39dbbfc600bffaa34ace17465825ddccd7796dbaf";

    [Fact]
    public void Rsa_oaep_with_a_label_matches_a_published_tpm_vector()
    {
        var key = new RSAParameters { Modulus = Convert.FromHexString(Vector07Modulus), Exponent = [0, 0, 0, 0] };

        byte[] ciphertext = RsaOaepWithLabel.Encrypt(
            key,
            HashAlgorithmName.SHA256,
            "SECRET\0"u8,
            Convert.FromHexString("ff5a3ac45f3ee8fa592f039c94a9bfdfb1e67709a6bff4bd8a7c54ed1be47df5"),
            Convert.FromHexString("00d89dc6335565397a612d87ea372b753701060709a79ad9171e9b468b944f40"));

        Assert.Equal(
            "7d28343b75b31731f4ab8a13947bbe4e0cf769001a9dd4b6bcdb7126ac6fbfd5cdd3aaae65712aa6cce001176bc103e7ac48e9cff55ac6544519da0d8ec51c41744498ba8f45478685550895cb6ff792c98a4ceb32b24e8f55a1282d7ccd99545eb7086333df9b193b41d342af46c95964360f255144f22df583608167c6cbb42da16aea1488c5a6e2fc99b7bf081cc02154ff94e835a871708b426d6da7b1bb67f37d70d1e77345bfd9cc0d4782df06eb987556ab6a9ed2dae457ad0a6f32f38c51d2321f10bac13b2f5d5ab20a5a05000323a86828ab6699a0dedfe623ac740a4820aab647acd18640d1731cc6afe9091f7cd472774fae1030e8e40fbcea7b",
            Convert.ToHexStringLower(ciphertext));
    }

    [Theory]
    [InlineData("SHA256", 2048)]
    [InlineData("SHA384", 2048)]
    [InlineData("SHA512", 3072)]
    [InlineData("SHA1", 1024)]
    public void Rsa_shared_seed_is_recovered_with_the_private_key_and_the_same_label(string hash, int keyBits)
    {
        using RSA rsa = RSA.Create(keyBits);
        var nameAlg = new HashAlgorithmName(hash);

        SharedSeed shared = SecretSharing.ForRsa(rsa.ExportParameters(false), nameAlg, "IDENTITY");

        Assert.Equal(keyBits / 8, shared.EncryptedSecret.Length);
        Assert.Equal(CryptographicOperations.HashData(nameAlg, []).Length, shared.Seed.Length);
        byte[] recovered = CredentialTestSupport.RsaOaepDecrypt(rsa.ExportParameters(true), nameAlg, "IDENTITY\0"u8, shared.EncryptedSecret);
        Assert.Equal(shared.Seed, recovered);
        Assert.Throws<CryptographicException>(
            () => CredentialTestSupport.RsaOaepDecrypt(rsa.ExportParameters(true), nameAlg, "IDENTITY"u8, shared.EncryptedSecret));
    }

    [Fact]
    public void Rsa_oaep_refuses_a_message_too_long_for_the_key()
    {
        using RSA rsa = RSA.Create(1024);

        // 128 - 2·64 - 2 < 0: SHA-512 OAEP cannot carry anything under a 1024-bit key.
        Assert.Throws<ArgumentException>(
            () => SecretSharing.ForRsa(rsa.ExportParameters(false), HashAlgorithmName.SHA512, "IDENTITY"));
    }

    [Fact]
    public void Rsa_oaep_treats_a_missing_exponent_as_65537()
    {
        using RSA rsa = RSA.Create(2048);
        RSAParameters pub = rsa.ExportParameters(false);
        byte[] seed = RandomNumberGenerator.GetBytes(32);
        byte[] message = RandomNumberGenerator.GetBytes(32);

        byte[] withExponent = RsaOaepWithLabel.Encrypt(pub, HashAlgorithmName.SHA256, "X\0"u8, message, seed);
        byte[] withoutExponent = RsaOaepWithLabel.Encrypt(
            new RSAParameters { Modulus = pub.Modulus }, HashAlgorithmName.SHA256, "X\0"u8, message, seed);

        Assert.Equal(withExponent, withoutExponent);
    }

    // ecc_labeled_encaps.json "12_P256_SHA256_256_restricted" and "55_P384_SHA384_256_restricted",
    // both "Validated": "TPM2_ActivateCredential", label IDENTITY. The TPMT_PUBLIC there carries the
    // curve (0003 / 0004) and unique x, y; the ephemeral private scalar is given.
    [Theory]
    [InlineData("P256", "SHA256",
        "fe4cf1f3e8f583c19e1af6190a7c20751658914a93cd77efb871cb1557377560",
        "07b6b7c55bea1d17b1a9d96f367cf315b2942d517fd8642e9d9157036831c4d5",
        "9efafbaf83563f8ac5a27815eae1017ca78c92f9cde976b1a2e0ad95b8a19bc1",
        "2a03ff2b874e44d36a567e67a0bf08227b9e65a0e9ca5215d4a9e573c23159a1",
        "002017ca41bd94c7f12436cf135ff1852408ef6a1ee1989e4e6250ef73c348dd6fa90020346f6016d6f6a2ef8e07df6d7b53b362005fc21cda1e1ab25e61f38a87e017b8")]
    [InlineData("P384", "SHA384",
        "460ab9b0744c7c90b1243b1fd38f09a724edbab83336f36c56f8b241b83f4e24930b7dbc5a90f2a5d29bbb30aed4782f",
        "d791757c8585dbfd1832126a14bd9a807fae3f9c7f3239f20e632f70018f1eefab5f1cd8506a2675a48661f7696d35f2",
        "831d5d1b087ca69230a5c9bf8b2778b5464462a40fd47dba43d445945840320526bd97639b73228e412a26c31a18d32c",
        "18b9e98482ea6aa0ed73f5e91dea69e33700858d819cc08986fbb277411378caebd45e302161d8b097974b6b8f03bc5c",
        "003092512628468bf96172119916c801609ef4c529627634a1452ccd42446b0df37ab297ac97d8fd3cd377f272f1c562747a00308cd102d4ef0c85ccf5a975ee6f2f1d247f3c9bfab6628174fed18b320c9d9a7bbf1d54efe30a3de88a91f8c58000ed71")]
    public void Ecc_seed_and_point_match_published_tpm_vectors(
        string curve, string hash, string x, string y, string ephemeralPrivate, string expectedSeed, string expectedPoint)
    {
        ECCurve namedCurve = curve == "P256" ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384;
        var ek = new ECParameters { Curve = namedCurve, Q = new ECPoint { X = Convert.FromHexString(x), Y = Convert.FromHexString(y) } };
        using var ephemeral = ECDiffieHellman.Create(new ECParameters { Curve = namedCurve, D = Convert.FromHexString(ephemeralPrivate) });

        SharedSeed shared = SecretSharing.ForEcc(ek, new HashAlgorithmName(hash), "IDENTITY", ephemeral);

        Assert.Equal(expectedSeed, Convert.ToHexStringLower(shared.Seed));
        Assert.Equal(expectedPoint, Convert.ToHexStringLower(shared.EncryptedSecret));
    }

    [Theory]
    [InlineData("nistP256", "SHA256", 68)]
    [InlineData("nistP384", "SHA384", 100)]
    [InlineData("nistP521", "SHA512", 136)]
    public void Ecc_shared_seed_is_recovered_by_the_ek_private_key(string curve, string hash, int pointSize)
    {
        using var ek = ECDiffieHellman.Create(ECCurve.CreateFromFriendlyName(curve));
        var nameAlg = new HashAlgorithmName(hash);

        SharedSeed shared = SecretSharing.ForEcc(ek.ExportParameters(false), nameAlg, "IDENTITY");

        Assert.Equal(pointSize, shared.EncryptedSecret.Length);
        Assert.Equal(shared.Seed, CredentialTestSupport.EccRecoverSeed(ek, nameAlg, "IDENTITY", shared.EncryptedSecret));
        Assert.NotEqual(shared.Seed, CredentialTestSupport.EccRecoverSeed(ek, nameAlg, "DUPLICATE", shared.EncryptedSecret));
    }

    [Fact]
    public void Ecc_refuses_a_point_that_is_not_on_the_curve()
    {
        using var ek = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        ECParameters p = ek.ExportParameters(false);
        p.Q.Y![^1] ^= 1;

        Assert.ThrowsAny<CryptographicException>(() => SecretSharing.ForEcc(p, HashAlgorithmName.SHA256, "IDENTITY"));
    }

    [Fact]
    public void Ecc_refuses_a_key_without_a_named_curve()
    {
        using var ek = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        ECParameters p = ek.ExportExplicitParameters(false);

        Assert.Throws<ArgumentException>(() => SecretSharing.ForEcc(p, HashAlgorithmName.SHA256, "IDENTITY"));
    }
}
