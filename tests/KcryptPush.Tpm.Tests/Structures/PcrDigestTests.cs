using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Tests.Structures;

/// <summary>The one PCR-digest routine against digests computed outside this code (Python's
/// hashlib over the concatenation written out below), and its three callers against it.</summary>
[Trait("Category", "Unit")]
public sealed class PcrDigestTests
{
    // sha256 PCRs 7 and 0 listed out of order (the bitmap orders them), then sha1 PCR 10.
    private static readonly TpmlPcrSelection Selection = TpmlPcrSelection.Create((TpmAlgId.Sha256, [7, 0]), (TpmAlgId.Sha1, [10]));

    // sha256 PCR 0 = 32 x 00, PCR 7 = 32 x 07, sha1 PCR 10 = 20 x 0a; the digests of
    // 00*32 || 07*32 || 0a*20 from python3 hashlib.
    private const string Sha256OfConcatenation = "8c83b3a0aec501d6afa4e6c3539c0f49c9a86166d2ed85b1359d5e18ad1a3525";
    private const string Sha1OfConcatenation = "3b03d7917d7c3aeacbe2fe8897c624fe4b6d2e5e";
    private const string Sha384OfConcatenation =
        "de72a4ecb65a184f98fc2ad7126007a9483f03c2b90393d4685d88ea605688ed47e8974f65377cfdab4a3656e65c69c9";

    private static readonly Dictionary<(TpmAlgId, int), byte[]> Values = new()
    {
        [(TpmAlgId.Sha256, 0)] = Filled(32, 0x00),
        [(TpmAlgId.Sha256, 7)] = Filled(32, 0x07),
        [(TpmAlgId.Sha1, 10)] = Filled(20, 0x0a),
        [(TpmAlgId.Sha1, 0)] = Filled(20, 0xff), // not selected: must not count
    };

    private static byte[] Filled(int size, byte b) => Enumerable.Repeat(b, size).ToArray();

    private static byte[]? Lookup(TpmAlgId bank, int pcr) => Values.GetValueOrDefault((bank, pcr));

    [Theory]
    [InlineData(TpmAlgId.Sha256, Sha256OfConcatenation)]
    [InlineData(TpmAlgId.Sha1, Sha1OfConcatenation)]
    [InlineData(TpmAlgId.Sha384, Sha384OfConcatenation)]
    public void The_digest_is_the_hash_of_the_selected_values_in_selection_order(TpmAlgId hash, string expected)
    {
        var asked = new List<(TpmAlgId, int)>();

        Assert.True(PcrDigest.TryCompute(hash, Selection, (b, p) => { asked.Add((b, p)); return Lookup(b, p); },
            out byte[] digest, out IReadOnlyList<PcrDigestGap> gaps));

        Assert.Equal(expected, Convert.ToHexStringLower(digest));
        Assert.Empty(gaps);
        Assert.Equal([(TpmAlgId.Sha256, 0), (TpmAlgId.Sha256, 7), (TpmAlgId.Sha1, 10)], asked);
    }

    [Fact]
    public void An_empty_selection_digests_nothing()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            Convert.ToHexStringLower(PcrDigest.Compute(TpmAlgId.Sha256, TpmlPcrSelection.Empty, Lookup)!));
    }

    [Fact]
    public void Every_missing_or_wrong_sized_value_is_a_gap_and_there_is_no_digest()
    {
        var values = new Dictionary<(TpmAlgId, int), byte[]>(Values) { [(TpmAlgId.Sha1, 10)] = Filled(32, 0x0a) };
        values.Remove((TpmAlgId.Sha256, 7));

        Assert.False(PcrDigest.TryCompute(TpmAlgId.Sha256, Selection, (b, p) => values.GetValueOrDefault((b, p)),
            out byte[] digest, out IReadOnlyList<PcrDigestGap> gaps));

        Assert.Empty(digest);
        Assert.Equal([new PcrDigestGap(0, TpmAlgId.Sha256, 7, Missing: true), new PcrDigestGap(1, TpmAlgId.Sha1, 10, Missing: false)], gaps);
        Assert.Null(PcrDigest.Compute(TpmAlgId.Sha256, Selection, (b, p) => values.GetValueOrDefault((b, p))));
    }

    [Fact]
    public void A_bank_that_is_not_a_hash_has_no_size_so_even_an_empty_value_is_a_gap()
    {
        var selection = new TpmlPcrSelection([new TpmsPcrSelection(TpmAlgId.Rsa, [0x01, 0, 0])]);

        Assert.False(PcrDigest.TryCompute(TpmAlgId.Sha256, selection, (_, _) => [], out _, out IReadOnlyList<PcrDigestGap> gaps));
        Assert.Equal([new PcrDigestGap(0, TpmAlgId.Rsa, 0, Missing: false)], gaps);
    }

    [Fact]
    public void A_hash_this_process_cannot_compute_is_refused_with_not_supported()
    {
        Assert.Throws<NotSupportedException>(() => PcrDigest.Compute(TpmAlgId.Sm3_256, Selection, Lookup));
        Assert.Throws<NotSupportedException>(() => PcrDigest.Compute(TpmAlgId.Rsa, Selection, Lookup));
    }

    [Fact]
    public void The_release_policy_and_the_agents_read_after_quote_check_give_the_same_digest()
    {
        TpmPcrValue[] list = [.. Values.Select(kv => new TpmPcrValue(kv.Key.Item1, kv.Key.Item2, kv.Value))];

        Assert.Equal(Sha256OfConcatenation, Convert.ToHexStringLower(ReleaseKeyPolicy.PcrValuesDigest(Selection, Lookup)!));
        Assert.True(QuotedPcrDigest.TryCompute(TpmAlgId.Sha256, Selection, list, out byte[] quoted));
        Assert.Equal(Sha256OfConcatenation, Convert.ToHexStringLower(quoted));
        Assert.Null(ReleaseKeyPolicy.PcrValuesDigest(Selection, (b, p) => b == TpmAlgId.Sha1 ? null : Lookup(b, p)));
    }
}
