using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Integration.Tests;

/// <summary>PCR_Read and PCR_Extend against tpm2_pcrread.</summary>
[Trait("Category", "Integration")]
public sealed partial class PcrIntegrationTests : IClassFixture<SwtpmClassFixture>
{
    private readonly SwtpmClassFixture _f;

    public PcrIntegrationTests(SwtpmClassFixture fixture) => _f = fixture;

    private static TpmlPcrSelection AllSha1AndSha256 =>
        TpmlPcrSelection.Create((TpmAlgId.Sha1, Enumerable.Range(0, 24)), (TpmAlgId.Sha256, Enumerable.Range(0, 24)));

    [Fact]
    public void Reading_all_24_pcrs_of_sha1_and_sha256_equals_tpm2_pcrread()
    {
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            // Make some PCRs differ from their reset values so a wrong index mapping cannot pass.
            tpm.ExtendPcr(3, TpmAlgId.Sha256, SHA256.HashData("three"u8));
            tpm.ExtendPcr(9, TpmAlgId.Sha1, SHA1.HashData("nine"u8));
            tpm.ExtendPcr(16, TpmAlgId.Sha256, SHA256.HashData("sixteen"u8));
        }

        IReadOnlyList<TpmPcrValue> ours;
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            ours = tpm.ReadPcrs(AllSha1AndSha256);
        }
        Dictionary<(TpmAlgId, int), string> theirs = ParsePcrRead(_f.Tools.Run("pcrread", "sha1:all+sha256:all").StdOut);

        Assert.Equal(48, ours.Count);
        Assert.Equal(48, theirs.Count);
        Assert.Equal(Enumerable.Range(0, 24), ours.Take(24).Select(v => v.Index));
        Assert.All(ours.Take(24), v => Assert.Equal(TpmAlgId.Sha1, v.Bank));
        foreach (TpmPcrValue v in ours)
        {
            Assert.Equal(theirs[(v.Bank, v.Index)], Convert.ToHexString(v.Digest));
        }
        Assert.Equal(new string('F', 64), theirs[(TpmAlgId.Sha256, 17)]);
    }

    [Fact]
    public void Extend_changes_exactly_that_pcr_to_sha256_of_old_and_digest()
    {
        byte[] digest = SHA256.HashData("kcrypt-push"u8);
        using TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri);
        IReadOnlyList<TpmPcrValue> before = tpm.ReadPcrs(AllSha1AndSha256);

        tpm.ExtendPcr(12, TpmAlgId.Sha256, digest);
        IReadOnlyList<TpmPcrValue> after = tpm.ReadPcrs(AllSha1AndSha256);

        for (int i = 0; i < before.Count; i++)
        {
            if (before[i].Bank == TpmAlgId.Sha256 && before[i].Index == 12)
            {
                Assert.Equal(SHA256.HashData([.. before[i].Digest, .. digest]), after[i].Digest);
            }
            else
            {
                Assert.Equal(before[i].Digest, after[i].Digest);
            }
        }
    }

    [Fact]
    public void Reading_a_bank_that_is_not_allocated_is_a_typed_error_not_a_hang()
    {
        using TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri);

        Assert.Throws<KcryptPush.Tpm.Marshalling.TpmFormatException>(
            () => tpm.ReadPcrs(TpmlPcrSelection.Create((TpmAlgId.Sha384, [0]))));
    }

    private static Dictionary<(TpmAlgId, int), string> ParsePcrRead(string yaml)
    {
        var result = new Dictionary<(TpmAlgId, int), string>();
        TpmAlgId bank = TpmAlgId.Null;
        foreach (string line in yaml.Split('\n'))
        {
            Match b = BankLine().Match(line);
            if (b.Success)
            {
                bank = b.Groups[1].Value == "sha1" ? TpmAlgId.Sha1 : TpmAlgId.Sha256;
                continue;
            }
            Match v = ValueLine().Match(line);
            if (v.Success)
            {
                result[(bank, int.Parse(v.Groups[1].Value, CultureInfo.InvariantCulture))] = v.Groups[2].Value.ToUpperInvariant();
            }
        }
        return result;
    }

    [GeneratedRegex(@"^\s*(sha1|sha256):\s*$")]
    private static partial Regex BankLine();

    [GeneratedRegex(@"^\s*(\d+)\s*:\s*0x([0-9A-Fa-f]+)\s*$")]
    private static partial Regex ValueLine();
}
