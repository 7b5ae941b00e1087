using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Hashing;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Integration.Tests;

/// <summary>Replay's PCR extend (OpenSSL EVP and .NET) against a TPM's own TPM2_PCR_Extend.</summary>
[Trait("Category", "Integration")]
public sealed class PcrExtenderCrossCheckTests : IClassFixture<SwtpmClassFixture>
{
    private readonly SwtpmClassFixture _f;

    public PcrExtenderCrossCheckTests(SwtpmClassFixture fixture) => _f = fixture;

    [Theory]
    [InlineData(TpmAlgId.Sha1, TpmAlgId.Sha1)]
    [InlineData(TpmAlgId.Sha256, TpmAlgId.Sha256)]
    public void Both_extenders_end_where_swtpm_ends_after_200_random_extends(TpmAlgId bank, TpmAlgId alg)
    {
        const int Pcr = 15;
        TpmlPcrSelection selection = TpmlPcrSelection.Create((bank, [Pcr]));
        using TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri);
        byte[] fast = tpm.ReadPcrs(selection).Single().Digest;
        byte[] managed = (byte[])fast.Clone();
        using PcrExtender openssl = PcrExtender.Create((ushort)alg);
        using PcrExtender dotnet = PcrExtender.CreateManaged((ushort)alg);
        var random = new Random(Pcr * 1000 + (int)alg);

        for (int i = 0; i < 200; i++)
        {
            byte[] digest = new byte[fast.Length];
            random.NextBytes(digest);
            tpm.ExtendPcr(Pcr, bank, digest);
            openssl.Extend(fast, digest);
            dotnet.Extend(managed, digest);
        }

        byte[] actual = tpm.ReadPcrs(selection).Single().Digest;
        Assert.Equal(Convert.ToHexString(actual), Convert.ToHexString(fast));
        Assert.Equal(Convert.ToHexString(actual), Convert.ToHexString(managed));
    }
}
