using System.Security.Cryptography;
using KcryptPush.Tpm.Crypto;

namespace KcryptPush.Tpm.Tests.Crypto;

[Trait("Category", "Unit")]
public sealed class KdfTests
{
    // The TPM's own KDFa self-test vector (libtpms / TPM 2.0 reference code, KdfTestData.h):
    // key 271FA08B…DA0C, label "KDFSELFTESTLABEL" (the 17-byte TPM2B there includes the zero
    // we append), contextU CE244F39 5DCA7391, contextV DA504031 DDF12E83, 160 bits.
    // `openssl kdf -kdfopt mode:counter -kdfopt mac:HMAC -kdfopt digest:SHAx KBKDF` gives the same.
    [Theory]
    [InlineData("SHA1", "55b5a7184aa07423c47dae766c26a2377d7cf851")]
    [InlineData("SHA256", "bb0259e1c8ba607e6a2cd704b69a902e9ade84c4")]
    [InlineData("SHA384", "1dce70c9113eb2dba47bd9cfc72bf46f45b09312")]
    [InlineData("SHA512", "8be2c1b85b78569b9fa759f5857c56d684810fd3")]
    public void Kdfa_matches_the_tpm_reference_self_test_vector(string hash, string expected)
    {
        byte[] result = KeyDerivation.Kdfa(
            new HashAlgorithmName(hash),
            Convert.FromHexString("271FA08BBDC5060EC3DFA928FF9B73123A12DA0C"),
            "KDFSELFTESTLABEL",
            Convert.FromHexString("CE244F395DCA7391"),
            Convert.FromHexString("DA504031DDF12E83"),
            160);

        Assert.Equal(expected, Convert.ToHexStringLower(result));
    }

    // Expected values from OpenSSL 3.0's SP800-108 counter-mode KBKDF, an independent
    // implementation with the same input layout ([i]32 ‖ label ‖ 00 ‖ context ‖ [L]32):
    //   openssl kdf -keylen BYTES -kdfopt mode:counter -kdfopt mac:HMAC -kdfopt digest:HASH \
    //     -kdfopt hexkey:KEY -kdfopt salt:LABEL -kdfopt hexinfo:U‖V KBKDF
    // They cover outputs shorter than, equal to and several times the digest size.
    [Theory]
    [InlineData("SHA256", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "STORAGE",
        "000b6e8d3a0d8f2b3c4d5e6f708192a3b4c5", "d6e7f8091a2b3c4d5e6f708192a3b4c5", 128,
        "2c24af829cdb850051b5f6d512f330c3")]
    [InlineData("SHA384", "8899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677", "STORAGE",
        "000c0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "", 256,
        "30935b6b96c6852adab352c33d5d1d03bb33043ae2c19eee03201557d9c9c7fe")]
    [InlineData("SHA256", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "INTEGRITY",
        "", "", 256,
        "bacf689f634ece301e1f1b15b072d9c87db6a69585db42b1a0cb8f73ebe2692e")]
    [InlineData("SHA1", "0f0e0d0c0b0a09080706050403020100", "CFB",
        "a1a2a3a4a5", "a6a7a8a9aa", 800,
        "97653d93c2aa9fdbf021fc8c5293e633f90eaf50820abf6b05dbae24bac40488e185110eb92dbcbdcdb917981eb623d312ef7ae54da2c4a1b97375c96979387a1dc9ee8e60af1510d3d5e900411e9009b0e7dbe427a35443d05dddf5ebb178ea32ad059c")]
    [InlineData("SHA512", "ffeeddccbbaa99887766554433221100", "XOR",
        "00112233445566778899aabbccddeeff", "", 1000,
        "ca209ea3f918952440aa48bbdf3825f63444edbe95a44247de66373a8a2b9c12b628280cee62c39e8a4ba4b302f95ce821bdb4e84ac59205e1d7d4a12ba095034185abcc48ea6cd90f61cc6ff210086fb3be83bcca4ebbce469dbbaf77681ed411f855456b7c8fb2c33f425ffb938d93f9d4a8dd1812abb5a82e24fc75")]
    public void Kdfa_matches_openssl_kbkdf(string hash, string key, string label, string u, string v, int bits, string expected)
    {
        byte[] result = KeyDerivation.Kdfa(
            new HashAlgorithmName(hash), Convert.FromHexString(key), label,
            Convert.FromHexString(u), Convert.FromHexString(v), bits);

        Assert.Equal(expected, Convert.ToHexStringLower(result));
    }

    // bits not a multiple of 8: the bits field carries the odd value and the first byte is masked.
    // Expected values from a one-off Python 3 computation with hmac/hashlib/struct:
    //   HMAC(key, pack('>I', i) + label + b'\0' + u + v + pack('>I', bits)), truncated to ceil(bits/8)
    //   bytes, first byte &= (1 << bits % 8) - 1.
    [Theory]
    [InlineData("SHA256", "000102030405060708090a0b0c0d0e0f", "ATH", "aabbcc", "ddeeff", 13, "1cc8")]
    [InlineData("SHA384", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "OBFUSCATE", "", "0102", 389,
        "0e69320c7f3154a895e6323f3e311adfde931d43aff9dfcf63462069124b33eb64eda56c392082e34f42da7e5f0a2af088")]
    public void Kdfa_with_bits_not_a_multiple_of_8_masks_the_first_byte(
        string hash, string key, string label, string u, string v, int bits, string expected)
    {
        byte[] result = KeyDerivation.Kdfa(
            new HashAlgorithmName(hash), Convert.FromHexString(key), label,
            Convert.FromHexString(u), Convert.FromHexString(v), bits);

        Assert.Equal(expected, Convert.ToHexStringLower(result));
    }

    // Published KDFe vectors generated with go-tpm's tpm2.KDFe (chrisfenner/tpm-test-vectors,
    // vectors/kdfe.json; names kept). They include empty Z/U/V, odd bit counts and every hash.
    [Theory]
    [InlineData("00_SHA1_111", "SHA1", "beefefba63c91e8eb318785c374600", "ATH", "ff8318b65e46b3", "32aa861b336c991a52b15c0c72889895e8cad4ff", 111, "123decb8050fca8d6585f61946e2")]
    [InlineData("04_SHA1_253", "SHA1", "", "STORAGE", "", "c0227aff", 253, "0f10d821af67e1ec776b390f3b4572bb433efd2b94fa7842d879d24d825ed2f9")]
    [InlineData("22_SHA1_7", "SHA1", "356f9d00d61b54cf010580b1755d1975905c00", "CFB", "006c5c2bcdd650f6c836dba98c4734", "8849bd3d05d69f", 7, "58")]
    [InlineData("31_SHA256_13", "SHA256", "739245447ead0deea5f834f06e043159c6ff", "IDENTITY", "ad503e36c2314ec9afa2f4047bf19ce7fbc6fe2def32c58459c0fc828c00", "ba6dd80b788034161743c95e8ef7a9486fbd69d3ff", 13, "0956")]
    [InlineData("37_SHA256_431", "SHA256", "e89fc5304cf46c1cf7d1f5de5d3d1ec7eddc80b0386700", "SECRET", "e602bc959fd97af0405649e0c80e02e9dd64e9d79e698292b043c79dfa9f9261", "", 431, "3a8e893b8b76cdddbf87845b2567fa7152577829f6a55b73cb82d4a1f0342a051d6e50e20ec2f96bc4de38d7d0d79a9caf99e1d574b9")]
    [InlineData("44_SHA256_659", "SHA256", "ffe8361b9fdfe01398db23a1b2a1bc35ffe737", "IDENTITY", "", "ff26e2f76cb6fbf1", 659, "007d2cb3d906980fbce09d1bfe42b8d3c827c2d9fed082e0344e40c80f08c0a9eb629068d66164fbf03b3e18124f8ae3400647cf06f6c43be3740a49ec96c25f9115cff6625822878a451c601fa6bf749d2321")]
    [InlineData("53_SHA384_1", "SHA384", "ffffa7ff65fe5f1357df95d3a7ec5a6c5519963b8a6086c89f289b80c039e8eaabf136", "ATH", "b3c402f9bf969dae90efefb297f4852f7edb", "ffca1be2402405eab6741da32ec8d6348934c64c3bbeed44b4", 1, "00")]
    [InlineData("55_SHA384_133", "SHA384", "b53dfac9155409c1479600", "STORAGE", "00456e4f18d91cf140fb5aa3c93553aae61e5424e945a94cb77b1747f34d", "00384c4d9f30a334abea3230fcb16c5460819c57fd7c", 133, "0935e9f44383ba2d6a7b5cb5782b5b6dbf")]
    [InlineData("86_SHA512_448", "SHA512", "0048", "INTEGRITY", "ffd90bea6538b482", "16081c5d5baebb66c438df9589183bff", 448, "d352ed321afa378d1c313eaa8ee136eb09e960d01a09bebcecfe448a43b83bbeaf1c0fe35a862f6ea8fc7376c1076d464be54dd89e6c2168")]
    [InlineData("89_SHA512_590", "SHA512", "e1d2e700", "SECRET", "", "fffcf34e848b9cfe54a0be31766d7044b467cab4829e49bcfe38", 590, "2c0d227eb22e8b002dbe8f27a8eea0d71bde6c87d6749ec0441324b3a0eb11aba611d6b4e8e0ea569512031df5d806be60f77295d13790c6fa647477be047d72cc84e697c29b5f235251")]
    [InlineData("98_SHA512_9", "SHA512", "00ecf5d16ff4c47b2a43fdafa4d449646a50abe155650a5ff0ecf89ca9768d2bed7ca0f17f113065c51190cccd4203b7", "ATH", "9c7fbe7d36257e6faa9f773d00", "fc8ff54133fdd43b485e483ce2c75bf0728c0b75a0acc28cf1d63276d420b14262130a12f6449100", 9, "00aa")]
    public void Kdfe_matches_published_vectors(
        string name, string hash, string z, string label, string u, string v, int bits, string expected)
    {
        byte[] result = KeyDerivation.Kdfe(
            new HashAlgorithmName(hash), Convert.FromHexString(z), label,
            Convert.FromHexString(u), Convert.FromHexString(v), bits);

        Assert.True(expected == Convert.ToHexStringLower(result), $"{name}: got {Convert.ToHexStringLower(result)}");
    }

    [Fact]
    public void Kdfa_outputs_of_different_lengths_are_unrelated_because_the_bit_count_is_hashed()
    {
        // The bits count is part of the HMAC input, so 128 and 256 bits are unrelated streams.
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] shortKey = KeyDerivation.Kdfa(HashAlgorithmName.SHA256, key, "STORAGE", [1, 2], [], 128);
        byte[] longKey = KeyDerivation.Kdfa(HashAlgorithmName.SHA256, key, "STORAGE", [1, 2], [], 256);

        Assert.NotEqual(shortKey, longKey.AsSpan(0, 16).ToArray());
    }

    [Fact]
    public void Kdfe_outputs_for_different_lengths_share_their_prefix_because_no_bits_field_is_hashed()
    {
        byte[] z = RandomNumberGenerator.GetBytes(32);
        byte[] short256 = KeyDerivation.Kdfe(HashAlgorithmName.SHA256, z, "IDENTITY", [9], [8], 256);
        byte[] long512 = KeyDerivation.Kdfe(HashAlgorithmName.SHA256, z, "IDENTITY", [9], [8], 512);

        Assert.Equal(short256, long512.AsSpan(0, 32).ToArray());
    }

    [Fact]
    public void An_unsupported_hash_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(
            () => KeyDerivation.Kdfa(HashAlgorithmName.MD5, [1], "STORAGE", [], [], 128));
        Assert.Contains("MD5", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-8)]
    public void A_non_positive_bit_count_is_refused(int bits)
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => KeyDerivation.Kdfe(HashAlgorithmName.SHA256, [1], "IDENTITY", [], [], bits));
    }

    [Fact]
    public void A_label_with_its_own_terminating_zero_is_refused_because_the_zero_is_added_here()
    {
        Assert.Throws<ArgumentException>(
            () => KeyDerivation.Kdfa(HashAlgorithmName.SHA256, [1], "STORAGE\0", [], [], 128));
    }
}
