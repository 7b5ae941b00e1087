using KcryptPush.Attestation.Findings;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Contracts.V1;

namespace KcryptPush.Verifier.Attestation;

/// <summary>Maps attestation/'s quote findings (<see cref="QuoteFindingCodes"/>) to the contracts' reason codes.</summary>
public static class QuoteReasons
{
    /// <summary>The contract code of a quote finding.</summary>
    public static string CodeOf(string findingCode) => findingCode switch
    {
        QuoteFindingCodes.QuoteMalformed or QuoteFindingCodes.QuoteMagicInvalid or QuoteFindingCodes.QuoteTypeInvalid => AttestationReasonCodes.QuoteMalformed,
        QuoteFindingCodes.NonceMismatch => AttestationReasonCodes.NonceMismatch,
        QuoteFindingCodes.PcrSelectionMismatch => AttestationReasonCodes.PcrSelectionMismatch,
        QuoteFindingCodes.QualifiedSignerMismatch => AttestationReasonCodes.QualifiedSignerMismatch,
        QuoteFindingCodes.PcrDigestMismatch or QuoteFindingCodes.PcrValueMissing or QuoteFindingCodes.PcrValueSizeInvalid => AttestationReasonCodes.PcrDigestMismatch,
        // Signature problems, and an enrolled AK that cannot verify anything (bad attributes, unusable key).
        _ => AttestationReasonCodes.SignatureInvalid,
    };

    /// <summary>
    /// True when a failure means the message is not shown to be what the node's TPM signed
    /// (unparseable, signed over another nonce or binding, bad signature, or PCR values that do not
    /// hash to the signed pcrDigest): such a message is answered but changes nothing, so nobody can
    /// quarantine a node by sending garbage or an altered copy in its name. Only a signed, consistent
    /// quote that is not what was asked (another PCR selection, signed by the AK as another key's
    /// child) is the node's own failure.
    /// </summary>
    public static bool Unauthenticated(Finding f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return f.IsFailure && f.Code is not (QuoteFindingCodes.PcrSelectionMismatch or QuoteFindingCodes.QualifiedSignerMismatch);
    }
}
