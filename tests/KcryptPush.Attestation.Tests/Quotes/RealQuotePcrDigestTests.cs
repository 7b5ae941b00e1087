using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.Quotes;

/// <summary>
/// The one PCR-digest routine against digests a real TPM computed: each real quote's signed
/// TPMS_QUOTE_INFO.pcrDigest (GCE vTPMs, testdata/quotes) must equal PcrDigest over the PCR values
/// recorded beside it, with the hash of the quote's signature.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RealQuotePcrDigestTests
{
    public static TheoryData<string> QuoteIds() => new(RealQuote.All.Select(q => q.Id));

    // The quote, its signed TPMS_QUOTE_INFO and the hash of its signature (the pcrDigest's hash).
    private static (RealQuote Quote, TpmsQuoteInfo Info, TpmAlgId Hash) Load(string id)
    {
        RealQuote q = RealQuote.Get(id);
        return (q, TpmsAttest.Parse(q.Attest).Quote!, TpmtSignature.Parse(q.Signature).Hash);
    }

    [Theory]
    [MemberData(nameof(QuoteIds))]
    public void The_routine_gives_the_pcr_digest_the_tpm_signed(string id)
    {
        (RealQuote q, TpmsQuoteInfo info, TpmAlgId hash) = Load(id);

        Assert.True(PcrDigest.TryCompute(hash, info.PcrSelect, (bank, pcr) => q.Pcrs.TryGet(bank, pcr, out byte[] v) ? v : null,
            out byte[] digest, out IReadOnlyList<PcrDigestGap> gaps));

        Assert.Empty(gaps);
        Assert.Equal(Convert.ToHexStringLower(info.PcrDigest), Convert.ToHexStringLower(digest));
    }

    [Theory]
    [MemberData(nameof(QuoteIds))]
    public void One_changed_value_changes_the_digest(string id)
    {
        (RealQuote q, TpmsQuoteInfo info, TpmAlgId hash) = Load(id);
        TpmsPcrSelection first = info.PcrSelect.Selections[0];
        int pcr = first.GetIndexes()[^1];

        byte[]? digest = PcrDigest.Compute(hash, info.PcrSelect, (bank, p) =>
        {
            byte[]? v = q.Pcrs.TryGet(bank, p, out byte[] value) ? (byte[])value.Clone() : null;
            if (v is not null && bank == first.Hash && p == pcr)
            {
                v[0] ^= 1;
            }

            return v;
        });

        Assert.NotNull(digest);
        Assert.NotEqual(Convert.ToHexStringLower(info.PcrDigest), Convert.ToHexStringLower(digest));
    }
}
