using KcryptPush.Attestation.Evidence;
using KcryptPush.Contracts.V1;

namespace KcryptPush.Verifier.Attestation;

/// <summary>The contract reason code of each <see cref="EvidenceCode"/>: every code is named, so a new
/// evidence check cannot fall into another's answer.</summary>
public static class EvidenceReasons
{
    /// <summary>The reason the verifier answers <paramref name="finding"/> with.</summary>
    public static AttestationReason Of(EvidenceFinding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        return new AttestationReason(CodeOf(finding.Code), finding.Message);
    }

    /// <summary>The contract code of <paramref name="code"/>.</summary>
    public static string CodeOf(EvidenceCode code) => code switch
    {
        EvidenceCode.EventLogDigestMismatch => AttestationReasonCodes.EventLogDigestMismatch,
        // An enrolled AK that cannot verify anything: no signature of the node can be shown valid.
        EvidenceCode.AkMalformed or EvidenceCode.AkUnusable or EvidenceCode.SignatureInvalid => AttestationReasonCodes.SignatureInvalid,
        EvidenceCode.QuoteMalformed => AttestationReasonCodes.QuoteMalformed,
        EvidenceCode.NonceMismatch => AttestationReasonCodes.NonceMismatch,
        EvidenceCode.ReleaseKeyMismatch => AttestationReasonCodes.ReleaseKeyMismatch,
        EvidenceCode.PcrDigestMismatch => AttestationReasonCodes.PcrDigestMismatch,
        EvidenceCode.PcrSelectionMismatch => AttestationReasonCodes.PcrSelectionMismatch,
        EvidenceCode.QualifiedSignerMismatch => AttestationReasonCodes.QualifiedSignerMismatch,
        EvidenceCode.ClockWentBackwards => AttestationReasonCodes.ClockWentBackwards,
        EvidenceCode.ReleaseKeyInvalid => AttestationReasonCodes.ReleaseKeyInvalid,
        EvidenceCode.EventLogMalformed => AttestationReasonCodes.EventLogMalformed,
        EvidenceCode.EventLogReplayMismatch => AttestationReasonCodes.EventLogReplayMismatch,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "an evidence code without a reason code"),
    };
}
