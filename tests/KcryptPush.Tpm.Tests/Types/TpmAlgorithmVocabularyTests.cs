using System.Security.Cryptography;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Tests.Types;

/// <summary>The one algorithm vocabulary: id, bank name, digest size and .NET name agree both ways,
/// against the spec's registry values written out here (TPM 2.0 Part 2 §6.3 Table 9).</summary>
[Trait("Category", "Unit")]
public sealed class TpmAlgorithmVocabularyTests
{
    public static TheoryData<ushort, string, int, string?> Registry => new()
    {
        { 0x0004, "sha1", 20, "SHA1" },
        { 0x000B, "sha256", 32, "SHA256" },
        { 0x000C, "sha384", 48, "SHA384" },
        { 0x000D, "sha512", 64, "SHA512" },
        { 0x0012, "sm3_256", 32, null },
        { 0x0027, "sha3_256", 32, "SHA3-256" },
        { 0x0028, "sha3_384", 48, "SHA3-384" },
        { 0x0029, "sha3_512", 64, "SHA3-512" },
    };

    [Theory]
    [MemberData(nameof(Registry))]
    public void Id_name_size_and_dotnet_name_round_trip(ushort id, string name, int size, string? dotnet)
    {
        var alg = (TpmAlgId)id;

        Assert.True(TpmAlgorithms.IsHash(alg));
        Assert.Equal(name, TpmAlgorithms.BankName(alg));
        Assert.Equal(name, TpmAlgorithms.BankName(id));
        Assert.True(TpmAlgorithms.TryParseBankName(name, out TpmAlgId parsed));
        Assert.Equal(alg, parsed);
        Assert.Equal(size, TpmAlgorithms.GetDigestSize(alg));
        Assert.Equal(dotnet is not null, TpmAlgorithms.TryGetHashAlgorithmName(alg, out HashAlgorithmName hashName));
        if (dotnet is not null)
        {
            Assert.Equal(dotnet, hashName.Name);
            Assert.Equal(alg, TpmAlgorithms.FromHashAlgorithmName(hashName));
        }
    }

    [Fact]
    public void The_vocabulary_is_exactly_the_registry_and_sizes_are_what_dotnet_computes()
    {
        Assert.Equal(Registry.Select(r => (TpmAlgId)(ushort)r[0]), TpmAlgorithms.Hashes);
        foreach (TpmAlgId alg in TpmAlgorithms.Hashes.Where(TpmAlgorithms.CanHash))
        {
            Assert.Equal(TpmAlgorithms.GetDigestSize(alg), TpmAlgorithms.Hash(alg, [1, 2, 3]).Length);
        }
    }

    [Fact]
    public void Pcr_banks_are_sha1_and_sha2_only()
    {
        Assert.Equal([TpmAlgId.Sha1, TpmAlgId.Sha256, TpmAlgId.Sha384, TpmAlgId.Sha512], TpmAlgorithms.PcrBanks);
        Assert.True(TpmAlgorithms.TryParsePcrBank("sha384", out TpmAlgId sha384));
        Assert.Equal(TpmAlgId.Sha384, sha384);
        foreach (string name in new[] { "sm3_256", "sha3_256", "sha3_384", "sha3_512" })
        {
            Assert.True(TpmAlgorithms.TryParseBankName(name, out _), name);
            Assert.False(TpmAlgorithms.TryParsePcrBank(name, out TpmAlgId alg), name);
            Assert.Equal(TpmAlgId.Null, alg);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("SHA256")]
    [InlineData("sha-256")]
    [InlineData(" sha256")]
    [InlineData("sha256 ")]
    [InlineData("md5")]
    [InlineData("alg_0x000b")]
    [InlineData("0x000b")]
    public void Unknown_names_are_refused(string? name)
    {
        Assert.False(TpmAlgorithms.TryParseBankName(name, out TpmAlgId alg));
        Assert.Equal(TpmAlgId.Null, alg);
        Assert.False(TpmAlgorithms.TryParsePcrBank(name, out _));
    }

    [Theory]
    [InlineData((ushort)0x0000)]
    [InlineData((ushort)0x0001)]
    [InlineData((ushort)0x0010)]
    [InlineData((ushort)0x0099)]
    [InlineData((ushort)0xffff)]
    public void Unknown_ids_have_no_size_no_dotnet_name_and_a_name_that_parses_back_to_nothing(ushort id)
    {
        var alg = (TpmAlgId)id;

        Assert.False(TpmAlgorithms.IsHash(alg));
        Assert.False(TpmAlgorithms.IsPcrBank(alg));
        Assert.Equal(0, TpmAlgorithms.GetDigestSize(alg));
        Assert.False(TpmAlgorithms.TryGetHashAlgorithmName(alg, out _));
        Assert.Throws<NotSupportedException>(() => TpmAlgorithms.ToHashAlgorithmName(alg));
        string name = TpmAlgorithms.BankName(alg);
        Assert.Equal($"alg_0x{id:x4}", name);
        Assert.False(TpmAlgorithms.TryParseBankName(name, out _));
    }

    [Fact]
    public void Dotnet_hashes_without_a_tpm_id_are_refused()
    {
        Assert.False(TpmAlgorithms.TryFromHashAlgorithmName(HashAlgorithmName.MD5, out TpmAlgId alg));
        Assert.Equal(TpmAlgId.Null, alg);
        Assert.Throws<NotSupportedException>(() => TpmAlgorithms.FromHashAlgorithmName(HashAlgorithmName.MD5));
    }

    [Fact]
    public void Tpm_crypto_takes_the_pcr_bank_hashes_and_refuses_the_rest_with_an_argument_exception()
    {
        Assert.Equal(48, TpmHashAlgorithms.DigestSize(HashAlgorithmName.SHA384, "hash"));
        Assert.Equal("hash", Assert.Throws<ArgumentException>(() => TpmHashAlgorithms.DigestSize(HashAlgorithmName.SHA3_256, "hash")).ParamName);
        Assert.Throws<ArgumentException>(() => TpmHashAlgorithms.DigestSize(HashAlgorithmName.MD5, "hash"));
        Assert.Throws<ArgumentException>(() => TpmHashAlgorithms.DigestSize(new HashAlgorithmName("sha256"), "hash"));
    }
}
