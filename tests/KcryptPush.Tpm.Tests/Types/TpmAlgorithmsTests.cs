using System.Security.Cryptography;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Tests.Types;

[Trait("Category", "Unit")]
public class TpmAlgorithmsTests
{
    [Theory]
    [InlineData(TpmAlgId.Sha1, 20)]
    [InlineData(TpmAlgId.Sha256, 32)]
    [InlineData(TpmAlgId.Sha384, 48)]
    [InlineData(TpmAlgId.Sha512, 64)]
    [InlineData(TpmAlgId.Sm3_256, 32)]
    [InlineData(TpmAlgId.Rsa, 0)]
    [InlineData(TpmAlgId.Null, 0)]
    public void Digest_sizes_follow_the_algorithm(TpmAlgId alg, int size) =>
        Assert.Equal(size, TpmAlgorithms.GetDigestSize(alg));

    [Theory]
    [InlineData(TpmAlgId.Sha1)]
    [InlineData(TpmAlgId.Sha256)]
    [InlineData(TpmAlgId.Sha384)]
    [InlineData(TpmAlgId.Sha512)]
    public void Hash_names_map_both_ways_and_hash_matches_dotnet(TpmAlgId alg)
    {
        HashAlgorithmName name = TpmAlgorithms.ToHashAlgorithmName(alg);
        Assert.Equal(alg, TpmAlgorithms.FromHashAlgorithmName(name));
        byte[] data = { 1, 2, 3 };
        using var ih = IncrementalHash.CreateHash(name);
        ih.AppendData(data);
        Assert.Equal(ih.GetHashAndReset(), TpmAlgorithms.Hash(alg, data));
    }

    [Fact]
    public void Non_hash_algorithms_are_refused()
    {
        Assert.False(TpmAlgorithms.TryGetHashAlgorithmName(TpmAlgId.Rsa, out _));
        Assert.Throws<NotSupportedException>(() => TpmAlgorithms.Hash(TpmAlgId.Sm3_256, new byte[1]));
    }

    [Fact]
    public void Wire_values_match_the_spec_tables()
    {
        Assert.Equal(0x14, (ushort)TpmAlgId.RsaSsa);
        Assert.Equal(0x16, (ushort)TpmAlgId.RsaPss);
        Assert.Equal(0x18, (ushort)TpmAlgId.EcDsa);
        Assert.Equal(0x25, (ushort)TpmAlgId.SymCipher);
        Assert.Equal(0x8018, (ushort)TpmSt.AttestQuote);
        Assert.Equal(0x17Eu, (uint)TpmCc.PcrRead);
        Assert.Equal(0x00050072u, (uint)(TpmaObject.FixedTpm | TpmaObject.FixedParent | TpmaObject.SensitiveDataOrigin
            | TpmaObject.UserWithAuth | TpmaObject.Restricted | TpmaObject.Sign));
        Assert.Equal(0x62072001u, (uint)(TpmaNv.PlatformCreate | TpmaNv.Written | TpmaNv.NoDA | TpmaNv.AuthRead
            | TpmaNv.OwnerRead | TpmaNv.PpRead | TpmaNv.WriteDefine | TpmaNv.PpWrite));
    }
}
