using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Hashing;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.Hashing;

/// <summary>The banks .NET does not (SM3) or need not (SHA3) compute: extended through OpenSSL's
/// EVP and checked against the <c>openssl</c> command line and published test vectors.</summary>
[Trait("Category", "Unit")]
public sealed class EveryBankExtenderTests
{
    public static TheoryData<TpmAlgId, string> OpenSslOnlyOrSha3Banks => new()
    {
        { TpmAlgId.Sm3_256, "sm3" },
        { TpmAlgId.Sha3_256, "sha3-256" },
        { TpmAlgId.Sha3_384, "sha3-384" },
        { TpmAlgId.Sha3_512, "sha3-512" },
    };

    [Theory]
    [MemberData(nameof(OpenSslOnlyOrSha3Banks))]
    public void Chained_random_extends_equal_openssl_dgst_of_each_concatenation(TpmAlgId alg, string opensslName)
    {
        var random = new Random(20260712 + (int)alg);
        using PcrExtender extender = PcrExtender.Create((ushort)alg);
        Assert.Equal("openssl-evp", extender.Implementation);
        int size = TpmAlgorithms.GetDigestSize(alg);
        Assert.Equal(size, extender.DigestSize);

        byte[] pcr = new byte[size];
        byte[] reference = new byte[size];
        random.NextBytes(pcr); // a PCR that does not start at zero, like 17-22 or PCR 0 with a locality
        pcr.CopyTo(reference, 0);
        byte[] digest = new byte[size];
        for (int i = 0; i < 40; i++)
        {
            random.NextBytes(digest);
            extender.Extend(pcr, digest);
            reference = OpenSslCli.Digest(opensslName, [.. reference, .. digest]);

            Assert.Equal(size, reference.Length);
            Assert.Equal(Convert.ToHexStringLower(reference), Convert.ToHexStringLower(pcr));
        }
    }

    [Theory]
    // GB/T 32905-2016 appendix A: SM3("abc") and SM3("abcd" x 16).
    [InlineData("abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")]
    [InlineData("abcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcd", "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")]
    public void Sm3_hashes_the_standard_test_vectors(string input, string expected)
    {
        Assert.True(TcgAlgorithms.IsComputable((ushort)TpmAlgId.Sm3_256));
        Assert.Null(TcgAlgorithms.WhyNotComputable((ushort)TpmAlgId.Sm3_256));
        byte[] digest = new byte[TpmAlgorithms.MaxDigestSize];
        int n = TcgAlgorithms.Hash((ushort)TpmAlgId.Sm3_256, System.Text.Encoding.ASCII.GetBytes(input), digest);
        Assert.Equal(32, n);
        Assert.Equal(expected, Convert.ToHexStringLower(digest.AsSpan(0, n)));
    }

    [Fact]
    public void Sm3_extend_of_a_zero_pcr_with_a_zero_digest_is_sm3_of_64_zero_bytes()
    {
        // openssl dgst -sm3 of 64 zero bytes.
        using PcrExtender extender = PcrExtender.Create((ushort)TpmAlgId.Sm3_256);
        byte[] pcr = new byte[32];
        extender.Extend(pcr, new byte[32]);
        Assert.Equal("46b58571be41685c253194d20ec7f82b659cc8c6b753f26d4e9ec85bc91c231e", Convert.ToHexStringLower(pcr));
    }

    [Fact]
    public void Sm3_has_no_dotnet_extender_and_an_unknown_algorithm_none_at_all()
    {
        // .NET has no SM3: the managed extender refuses it; only OpenSSL computes it.
        Assert.Throws<NotSupportedException>(() => PcrExtender.CreateManaged((ushort)TpmAlgId.Sm3_256));
        Assert.Throws<NotSupportedException>(() => PcrExtender.Create(0x1234));
        Assert.False(TcgAlgorithms.IsComputable(0x1234));
        Assert.Contains("unknown algorithm 0x1234", TcgAlgorithms.WhyNotComputable(0x1234), StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => TcgAlgorithms.Hash(0x1234, [1, 2, 3], new byte[64]));
    }
}
