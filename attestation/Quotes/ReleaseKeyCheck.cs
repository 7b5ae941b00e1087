using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;

namespace KcryptPush.Attestation.Quotes;

/// <summary>
/// Whether a release key (signed by the AK through the evidence binding) may carry a secret: its
/// public area must be exactly the release-key template whose authPolicy is PolicyPCR over the
/// selection and values this verifier has just verified, PolicyCounterTimer(resetCount = the quote's)
/// and PolicyCommandCode(ActivateCredential) (DESIGN.md "Flows"). Anything else (userWithAuth, another
/// policy, another resetCount) would open in another boot or PCR state, so the release is refused.
/// </summary>
public static class ReleaseKeyCheck
{
    /// <summary>Why <paramref name="releaseKey"/> is refused for the verified <paramref name="attest"/>, or null.</summary>
    public static string? Problem(TpmtPublic releaseKey, TpmsAttest attest, PcrValues reported)
    {
        ArgumentNullException.ThrowIfNull(releaseKey);
        ArgumentNullException.ThrowIfNull(attest);
        ArgumentNullException.ThrowIfNull(reported);
        if (attest.Quote is not { } quote)
        {
            return "the attestation is not a quote";
        }

        byte[]? values = ReleaseKeyPolicy.PcrValuesDigest(quote.PcrSelect, (bank, pcr) => reported.TryGet(bank, pcr, out byte[] v) ? v : null);
        if (values is null)
        {
            return "the quoted PCR values are incomplete";
        }

        byte[] expected = ReleaseKeyPolicy.Compute(quote.PcrSelect, values, attest.ClockInfo.ResetCount);
        return ReleaseKeyTemplate.Problem(releaseKey, expected);
    }
}
