using System.Security.Cryptography;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Hashing;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.Hashing;

[Trait("Category", "Unit")]
public sealed class PcrExtenderTests
{
    public static TheoryData<TpmAlgId> Sha2Banks => [TpmAlgId.Sha1, TpmAlgId.Sha256, TpmAlgId.Sha384, TpmAlgId.Sha512];

    [Theory]
    [MemberData(nameof(Sha2Banks))]
    public void On_linux_the_sha_banks_extend_through_openssl(TpmAlgId alg)
    {
        // The Linux machines we run on have OpenSSL 3 (.NET's own crypto needs it); elsewhere .NET hashes.
        using PcrExtender extender = PcrExtender.Create((ushort)alg);

        Assert.Equal(OperatingSystem.IsLinux() ? "openssl-evp" : "dotnet", extender.Implementation);
        Assert.Equal(TpmAlgorithms.GetDigestSize(alg), extender.DigestSize);
    }

    [Theory]
    [InlineData(TpmAlgId.Sha1, "b80de5d138758541c5f05265ad144ab9fa86d1db")]
    [InlineData(TpmAlgId.Sha256, "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b")]
    [InlineData(TpmAlgId.Sha384, "f57bb7ed82c6ae4a29e6c9879338c592c7d42a39135583e8ccbe3940f2344b0eb6eb8503db0ffd6a39ddd00cd07d8317")]
    public void Extending_a_zero_pcr_with_a_zero_digest_gives_the_hash_of_twice_the_digest_size_of_zeros(TpmAlgId alg, string expected)
    {
        // Known values: H(0^(2n)), e.g. the SHA-256 PCR after one all-zero extend (f5a5fd42...).
        foreach (PcrExtender extender in BothOf(alg))
        {
            using (extender)
            {
                byte[] pcr = new byte[extender.DigestSize];
                extender.Extend(pcr, new byte[extender.DigestSize]);
                Assert.Equal(expected, Convert.ToHexStringLower(pcr));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sha2Banks))]
    public void Openssl_and_dotnet_agree_with_a_one_shot_hash_over_thousands_of_chained_extends(TpmAlgId alg)
    {
        var random = new Random(20261125 + (int)alg);
        using PcrExtender fast = PcrExtender.Create((ushort)alg);
        using PcrExtender managed = PcrExtender.CreateManaged((ushort)alg);
        int size = fast.DigestSize;
        byte[] a = new byte[size], b = new byte[size], reference = new byte[size];
        byte[] digest = new byte[size];
        using var oneShot = IncrementalHash.CreateHash(NameOf(alg));

        for (int i = 0; i < 5000; i++)
        {
            random.NextBytes(digest);
            fast.Extend(a, digest);
            managed.Extend(b, digest);
            oneShot.AppendData(reference);
            oneShot.AppendData(digest);
            reference = oneShot.GetHashAndReset();

            Assert.Equal(reference, a);
            Assert.Equal(reference, b);
        }
    }

    [Theory]
    [InlineData(31, 32)]
    [InlineData(32, 31)]
    [InlineData(33, 32)]
    [InlineData(0, 32)]
    public void A_pcr_or_digest_of_another_size_than_the_bank_is_refused_before_hashing(int pcrSize, int digestSize)
    {
        foreach (PcrExtender extender in BothOf(TpmAlgId.Sha256))
        {
            using (extender)
            {
                byte[] pcr = new byte[pcrSize];
                Assert.Throws<ArgumentException>(() => extender.Extend(pcr, new byte[digestSize]));
                Assert.All(pcr, x => Assert.Equal(0, x));
            }
        }
    }

    [Fact]
    public void A_disposed_extender_refuses_to_hash()
    {
        PcrExtender extender = PcrExtender.Create((ushort)TpmAlgId.Sha256);
        extender.Dispose();
        extender.Dispose();

        Assert.Throws<ObjectDisposedException>(() => extender.Extend(new byte[32], new byte[32]));
    }

    [Fact]
    public void An_algorithm_nothing_here_computes_is_not_supported()
    {
        // SM3 now extends through OpenSSL (EveryBankExtenderTests); .NET alone still has none.
        Assert.Throws<NotSupportedException>(() => PcrExtender.CreateManaged((ushort)TpmAlgId.Sm3_256));
        Assert.Throws<NotSupportedException>(() => PcrExtender.Create(0x7777));
    }

    private static PcrExtender[] BothOf(TpmAlgId alg) => [PcrExtender.Create((ushort)alg), PcrExtender.CreateManaged((ushort)alg)];

    private static HashAlgorithmName NameOf(TpmAlgId alg) => alg switch
    {
        TpmAlgId.Sha1 => HashAlgorithmName.SHA1,
        TpmAlgId.Sha256 => HashAlgorithmName.SHA256,
        TpmAlgId.Sha384 => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };
}
