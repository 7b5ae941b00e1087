using KcryptPush.Attestation.Findings;
using KcryptPush.Tpm.Structures;

namespace KcryptPush.Attestation.Quotes;

/// <summary>
/// The findings of a quote verification plus what was parsed, so later steps (clock
/// monotonicity, reboot detection) can use the clock info of a quote that passed.
/// </summary>
public sealed class QuoteVerificationResult : VerificationResult
{
    /// <summary>Creates a result.</summary>
    public QuoteVerificationResult(IEnumerable<Finding> findings, TpmsAttest? attest, TpmtSignature? signature)
        : base(findings)
    {
        Attest = attest;
        Signature = signature;
    }

    /// <summary>The parsed TPMS_ATTEST (null when it did not parse). Untrusted unless <see cref="VerificationResult.Passed"/>.</summary>
    public TpmsAttest? Attest { get; }

    /// <summary>The parsed TPMT_SIGNATURE (null when it did not parse).</summary>
    public TpmtSignature? Signature { get; }
}
