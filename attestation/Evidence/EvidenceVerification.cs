using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Evidence;

/// <summary>
/// What <see cref="EvidenceVerifier.Verify"/> found. The checks stop at the first stage that fails, in
/// DESIGN.md's order, so <see cref="Findings"/> are the findings of one stage.
/// </summary>
public sealed class EvidenceVerification
{
    internal EvidenceVerification(bool authenticated, IReadOnlyList<EvidenceFinding> findings, QuoteVerificationResult? quote,
        IReadOnlyDictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> quotedPcrs, LogVerification? log, ParsedEventLog? untrustedLog)
    {
        Authenticated = authenticated;
        Findings = findings;
        Quote = quote;
        QuotedPcrs = quotedPcrs;
        LogCheck = log;
        UntrustedLog = untrustedLog ?? log?.UntrustedLog;
    }

    /// <summary>
    /// True when the message is shown to be what the node's TPM signed over this challenge: the quote verifies
    /// with the enrolled AK over the binding of this nonce, the named log digest and release key, and the
    /// reported PCR values hash to the signed digest. False evidence (forged, altered, replayed, another
    /// challenge's) must change nothing about the node; failures of authenticated evidence are the node's own.
    /// </summary>
    public bool Authenticated { get; }

    /// <summary>The failures of the stage that failed; empty when every check run passed.</summary>
    public IReadOnlyList<EvidenceFinding> Findings { get; }

    /// <summary>The quote's verification (parsed TPMS_ATTEST and signature); null when the AK or the log
    /// digest stopped the checks before it.</summary>
    public QuoteVerificationResult? Quote { get; }

    /// <summary>The signed TPMS_ATTEST of authenticated evidence, else null.</summary>
    public TpmsAttest? Attest => Authenticated ? Quote?.Attest : null;

    /// <summary>The reported values of exactly the PCRs the challenge selected, per bank in selection order
    /// (verified by the quote's digest when <see cref="Authenticated"/>); empty otherwise.</summary>
    public IReadOnlyDictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> QuotedPcrs { get; }

    /// <summary>The replay of the log, when the log was checked.</summary>
    public LogVerification? LogCheck { get; }

    /// <summary>The verified log: only events that replayed to quoted values; null when the log was not checked.</summary>
    public VerifiedEventLog? Log => LogCheck?.Log;

    /// <summary>The parsed log as sent (untrusted; for caching and for describing problems), when it was parsed.</summary>
    public ParsedEventLog? UntrustedLog { get; }

    /// <summary>True when every check passed, the log's included.</summary>
    public bool Passed => Authenticated && Findings.Count == 0 && LogCheck is { Passed: true };

    /// <summary>True when everything but the log passed and no log was given: the log is the next evidence to get.</summary>
    public bool NeedsLog => Authenticated && Findings.Count == 0 && LogCheck is null;

    /// <summary>True when a finding has <paramref name="code"/>.</summary>
    public bool Has(EvidenceCode code) => Findings.Any(f => f.Code == code);
}
