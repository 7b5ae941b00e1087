using System.Security.Cryptography;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Tests;

[Trait("Category", "Unit")]
public sealed class QuotedPcrDigestTests
{
    private static readonly TpmlPcrSelection Selection = TpmlPcrSelection.Create((TpmAlgId.Sha256, [10, 0, 7]), (TpmAlgId.Sha1, [10]));

    private static TpmPcrValue Value(TpmAlgId bank, int pcr) =>
        new(bank, pcr, SHA256.HashData([(byte)bank, (byte)pcr]).AsSpan(0, TpmAlgorithms.GetDigestSize(bank)).ToArray());

    [Fact]
    public void The_digest_follows_the_selection_order_whatever_order_the_values_come_in()
    {
        TpmPcrValue[] values = [Value(TpmAlgId.Sha1, 10), Value(TpmAlgId.Sha256, 10), Value(TpmAlgId.Sha256, 7), Value(TpmAlgId.Sha256, 0)];

        Assert.True(QuotedPcrDigest.TryCompute(TpmAlgId.Sha256, Selection, values, out byte[] digest));

        // TPM 2.0 Part 3 §18.4: banks in list order, ascending PCR index within a bank.
        byte[] expected = SHA256.HashData([.. values[3].Digest, .. values[2].Digest, .. values[1].Digest, .. values[0].Digest]);
        Assert.Equal(expected, digest);
        Assert.True(QuotedPcrDigest.TryCompute(TpmAlgId.Sha384, Selection, values, out byte[] sha384));
        Assert.Equal(SHA384.HashData([.. values[3].Digest, .. values[2].Digest, .. values[1].Digest, .. values[0].Digest]), sha384);
    }

    [Fact]
    public void A_selected_pcr_without_a_value_or_with_a_value_of_another_size_gives_no_digest()
    {
        TpmPcrValue[] missing = [Value(TpmAlgId.Sha256, 0), Value(TpmAlgId.Sha256, 7), Value(TpmAlgId.Sha256, 10)];
        TpmPcrValue[] wrongSize = [.. missing, new(TpmAlgId.Sha1, 10, new byte[32])];

        Assert.False(QuotedPcrDigest.TryCompute(TpmAlgId.Sha256, Selection, missing, out _));
        Assert.False(QuotedPcrDigest.TryCompute(TpmAlgId.Sha256, Selection, wrongSize, out _));
    }
}
