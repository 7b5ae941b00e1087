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
        QuoteFindingCodes.PcrDigestMismatch or QuoteFindingCodes.PcrValueMissing or QuoteFindingCodes.PcrValueSizeInvalid => AttestationReasonCodes.PcrDigestMismatch,
        // Signature problems, and an enrolled AK that cannot verify anything (bad attributes, unusable key).
        _ => AttestationReasonCodes.SignatureInvalid,
    };

    /// <summary>
    /// True when a failure means the evidence is not shown to come from the node's TPM (unparseable,
    /// wrong nonce, bad signature): such a rejection is answered but does not move the node's state,
    /// so nobody can quarantine a node by sending garbage in its name.
    /// </summary>
    public static bool Unauthenticated(Finding f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return f.IsFailure && CodeOf(f.Code) is AttestationReasonCodes.QuoteMalformed or AttestationReasonCodes.NonceMismatch or AttestationReasonCodes.SignatureInvalid;
    }
}
