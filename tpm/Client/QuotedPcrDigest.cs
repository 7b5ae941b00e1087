using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Client;

/// <summary>
/// Whether PCR values read from a TPM are the ones a quote signed: TPMS_QUOTE_INFO.pcrDigest =
/// H_sig(values of pcrSelect, in list order and ascending index within each bank) (TPM 2.0 Part 3
/// §18.4). A TPM2_Quote and the TPM2_PCR_Read after it are two commands; a PCR extended between
/// them (IMA extends PCR 10 all the time on a live system) makes the read values differ from the
/// quoted ones.
/// </summary>
public static class QuotedPcrDigest
{
    /// <summary>
    /// H_<paramref name="hash"/> over <paramref name="values"/> in the order of
    /// <paramref name="selection"/>; false when a selected PCR has no value of its bank's size.
    /// </summary>
    public static bool TryCompute(TpmAlgId hash, TpmlPcrSelection selection, IReadOnlyList<TpmPcrValue> values, out byte[] digest)
    {
        ArgumentNullException.ThrowIfNull(selection);
        ArgumentNullException.ThrowIfNull(values);
        var byPcr = new Dictionary<(TpmAlgId, int), byte[]>(values.Count);
        foreach (TpmPcrValue v in values)
        {
            byPcr[(v.Bank, v.Index)] = v.Digest;
        }

        return PcrDigest.TryCompute(hash, selection, (bank, pcr) => byPcr.GetValueOrDefault((bank, pcr)), out digest, out _);
    }

    /// <summary>True when <paramref name="values"/> hash to the pcrDigest signed in
    /// <paramref name="quote"/> (with the hash of its signature).</summary>
    /// <exception cref="KcryptPush.Tpm.Marshalling.TpmFormatException">The quote is not a TPMS_ATTEST of
    /// type TPM_ST_ATTEST_QUOTE with a TPMT_SIGNATURE.</exception>
    public static bool Matches(TpmQuote quote, IReadOnlyList<TpmPcrValue> values)
    {
        ArgumentNullException.ThrowIfNull(quote);
        TpmsAttest attest = TpmsAttest.Parse(quote.Attest);
        TpmsQuoteInfo info = attest.Quote
            ?? throw new KcryptPush.Tpm.Marshalling.TpmFormatException(0, $"TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE (got {attest.Type})");
        TpmAlgId hash = TpmtSignature.Parse(quote.Signature).Hash;
        return TpmAlgorithms.IsHash(hash)
            && TryCompute(hash, info.PcrSelect, values, out byte[] digest)
            && digest.AsSpan().SequenceEqual(info.PcrDigest);
    }
}
