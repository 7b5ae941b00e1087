using System.Security.Cryptography;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Findings;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Attestation.Replay;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Evidence;

/// <summary>
/// Checks one answer to a challenge, DESIGN.md "Verification, in order" (3)-(7), as one pure function (no
/// I/O, no clock, no store): the event log digest in the message; the quote (TPMS_ATTEST, signature with the
/// enrolled AK, extraData = the evidence binding, PCR digest); the PCR selection and qualifiedSigner; clock
/// info against the challenge's floor; the release key; then the event log, replayed per bank against the
/// quoted PCRs. It stops at the first stage that fails. Only replayed events come out, as a
/// <see cref="VerifiedEventLog"/>, which nothing else can make: a policy cannot read an unreplayed event.
/// </summary>
public static class EvidenceVerifier
{
    /// <summary>
    /// Verifies <paramref name="evidence"/> as the answer to <paramref name="challenge"/> by the node enrolled with
    /// <paramref name="ak"/>: <see cref="VerifyQuote"/>, then, when that passed and the evidence carries the log
    /// (parsed, or as bytes), <see cref="VerifyLog(EvidenceVerification, Func{ParsedEventLog})"/>.
    /// </summary>
    public static EvidenceVerification Verify(EnrolledAk ak, ChallengeTerms challenge, NodeEvidence evidence)
    {
        EvidenceVerification quote = VerifyQuote(ak, challenge, evidence);
        if (!quote.NeedsLog)
        {
            return quote;
        }

        if (evidence.ParsedLog is { } parsed)
        {
            return VerifyLog(quote, parsed);
        }

        return evidence.EventLog is { } bytes ? VerifyLog(quote, () => EventLogParser.Parse(bytes.AsSpan())) : quote;
    }

    /// <summary>
    /// Steps (3)-(6) and the release key, without the log: the log digest in the message (when it carries the
    /// log), the quote, selection and qualifiedSigner, clock info against the floor, the release key. A caller
    /// that rate-limits authenticated nodes, or fetches the log from a store, does so between this and
    /// <see cref="VerifyLog(EvidenceVerification, Func{ParsedEventLog})"/>, so unauthenticated messages cost no parse and no lookup.
    /// </summary>
    public static EvidenceVerification VerifyQuote(EnrolledAk ak, ChallengeTerms challenge, NodeEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(ak);
        ArgumentNullException.ThrowIfNull(challenge);
        ArgumentNullException.ThrowIfNull(evidence);
        if (LogDigestProblem(evidence) is { } changed)
        {
            return changed;
        }

        TpmtPublic akPublic;
        try
        {
            akPublic = TpmtPublic.Parse(ak.Public);
        }
        catch (TpmFormatException e)
        {
            return Rejected(null, NoPcrs, new EvidenceFinding(EvidenceCode.AkMalformed, $"the enrolled AK does not parse: {e.Message}"));
        }

        using var verifier = new QuoteVerifier(akPublic);
        return Quote(verifier, ak.Name, challenge, evidence);
    }

    /// <summary>
    /// As <see cref="VerifyQuote(EnrolledAk, ChallengeTerms, NodeEvidence)"/> with the enrolled AK already imported:
    /// <paramref name="ak"/> made from its TPMT_PUBLIC, <paramref name="akName"/> its Name. Importing an RSA key costs
    /// several times the signature check, so a caller that sees the same AK often keeps its <see cref="QuoteVerifier"/>.
    /// </summary>
    public static EvidenceVerification VerifyQuote(QuoteVerifier ak, byte[] akName, ChallengeTerms challenge, NodeEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(ak);
        ArgumentNullException.ThrowIfNull(akName);
        ArgumentNullException.ThrowIfNull(challenge);
        ArgumentNullException.ThrowIfNull(evidence);
        return LogDigestProblem(evidence) ?? Quote(ak, akName, challenge, evidence);
    }

    private static readonly IReadOnlyDictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> NoPcrs = new Dictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>>();

    // The log carried in the message must be the one it names: the binding covers only the digest.
    private static EvidenceVerification? LogDigestProblem(NodeEvidence evidence)
    {
        if (evidence.EventLog is not { } bytes)
        {
            return null;
        }

        byte[] actual = SHA256.HashData(bytes);
        return CryptographicOperations.FixedTimeEquals(actual, evidence.EventLogSha256) ? null : Rejected(null, NoPcrs, new EvidenceFinding(EvidenceCode.EventLogDigestMismatch,
            $"the event log's SHA-256 is {Convert.ToHexStringLower(actual)}, the message names {Convert.ToHexStringLower(evidence.EventLogSha256)}: the log was changed in the message."));
    }

    private static EvidenceVerification Quote(QuoteVerifier verifier, byte[] akName, ChallengeTerms challenge, NodeEvidence evidence)
    {
        var none = NoPcrs;
        // (3)-(5) The quote signs SHA-256(nonce ‖ log digest ‖ release key Name), so the log digest and the
        // release key in the message are the node's only if the signature verifies over this binding.
        byte[] releaseKeyName = evidence.ReleaseKey?.ComputeName() ?? [];
        byte[] binding = EvidenceBinding.Compute(challenge.Nonce, evidence.EventLogSha256, releaseKeyName);
        QuoteVerificationResult quote = verifier.Verify(evidence.Attest, evidence.Signature, binding, challenge.Selection, evidence.ReportedPcrs,
            QualifiedName(verifier.Ak, akName));

        if (!quote.Passed)
        {
            List<Finding> failures = quote.Failures.ToList();
            if (quote.Attest is null || failures.Any(Unauthenticated))
            {
                // Only what makes the message unauthenticated is its reason: findings about the signed content
                // (selection, qualifiedSigner) mean nothing when the content is not shown to be signed.
                EvidenceFinding[] reasons = failures.Where(Unauthenticated).Select(f => f.Code == QuoteFindingCodes.NonceMismatch && quote.Attest is { } a
                        ? BindingMismatch(challenge, evidence, a.ExtraData, releaseKeyName)
                        : new EvidenceFinding(CodeOf(f.Code), f.Message))
                    .ToArray();
                return Rejected(quote, none, reasons);
            }

            // Signed and consistent, but not what was asked: the node's own failure.
            return new EvidenceVerification(true, failures.Select(f => new EvidenceFinding(CodeOf(f.Code), f.Message)).ToArray(), quote, none, null, null);
        }

        TpmsAttest attest = quote.Attest!;
        IReadOnlyDictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> quoted = QuotedPcrs(challenge.Selection, evidence.ReportedPcrs);

        // (6) Clock info not below what was accepted before the challenge was issued.
        if (ClockCheck.Problem(challenge.ClockFloor, attest.ClockInfo) is { } clockProblem)
        {
            return Failed(quote, quoted, new EvidenceFinding(EvidenceCode.ClockWentBackwards, clockProblem));
        }

        // The release key the AK signed must bind a secret to these PCR values and this boot.
        if (evidence.ReleaseKey is { } releaseKey && ReleaseKeyCheck.Problem(releaseKey, attest, evidence.ReportedPcrs) is { } keyProblem)
        {
            return Failed(quote, quoted, new EvidenceFinding(EvidenceCode.ReleaseKeyInvalid,
                $"the release key {Convert.ToHexStringLower(releaseKeyName)} is refused: {keyProblem}."));
        }

        return new EvidenceVerification(true, [], quote, quoted, null, null);
    }

    /// <summary>Step (7) after a <paramref name="quote"/> that needs its log: replays <paramref name="log"/>, the
    /// parse of the log whose SHA-256 the quote signed, per bank against the quoted PCRs.</summary>
    /// <exception cref="ArgumentException"><paramref name="quote"/> is not a verification that needs its log.</exception>
    public static EvidenceVerification VerifyLog(EvidenceVerification quote, ParsedEventLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return VerifyLog(quote, () => log);
    }

    /// <summary>As <see cref="VerifyLog(EvidenceVerification, ParsedEventLog)"/>, parsing with <paramref name="parse"/>
    /// (e.g. through a cache): an <see cref="EventLogFormatException"/> is an <see cref="EvidenceCode.EventLogMalformed"/> finding.</summary>
    /// <exception cref="ArgumentException"><paramref name="quote"/> is not a verification that needs its log.</exception>
    public static EvidenceVerification VerifyLog(EvidenceVerification quote, Func<ParsedEventLog> parse)
    {
        ArgumentNullException.ThrowIfNull(quote);
        ArgumentNullException.ThrowIfNull(parse);
        if (!quote.NeedsLog)
        {
            // Only authenticated evidence that passed every earlier step may have its log replayed and used.
            throw new ArgumentException("the log is verified only after an authenticated quote that passed every earlier check", nameof(quote));
        }

        ParsedEventLog log;
        try
        {
            log = parse();
        }
        catch (EventLogFormatException e)
        {
            return Failed(quote.Quote!, quote.QuotedPcrs, new EvidenceFinding(EvidenceCode.EventLogMalformed, e.Message));
        }

        LogVerification replay = Replay(log, quote.QuotedPcrs);
        return new EvidenceVerification(true, replay.Findings, quote.Quote, quote.QuotedPcrs, replay, log);
    }

    /// <summary>
    /// Replays <paramref name="log"/> per bank against <paramref name="quoted"/> (bank → PCR → value), which the
    /// caller must have verified (a quote's; <see cref="Verify"/> passes the quote's). Offline tools without a
    /// quote may pass the log's own replay: the verified log then shows only that the log is self-consistent.
    /// </summary>
    public static LogVerification Replay(ParsedEventLog log, IReadOnlyDictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> quoted)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(quoted);
        ReplayResult replayed = EventLogReplayer.Replay(log, quoted.Keys.ToArray());
        ReplayVerification check = ReplayVerifier.Verify(log, replayed, quoted);
        var verified = new VerifiedEventLog(log, check, replayed.Pcr0StartLocality);
        if (check.Checks.Count == 0)
        {
            return new LogVerification(log, verified, [new EvidenceFinding(EvidenceCode.EventLogReplayMismatch,
                $"the event log has no bank the quote covers (log banks: {string.Join(", ", log.Banks.Select(b => TpmAlgorithms.BankName(b.AlgorithmId)))}; "
                + $"quoted: {string.Join(", ", quoted.Keys.Select(TpmAlgorithms.BankName))}): it proves nothing.")], [], null);
        }

        var mismatches = check.Mismatches.ToList();
        if (mismatches.Count == 0)
        {
            return new LogVerification(log, verified, [], [], null);
        }

        IReadOnlyList<DigestMismatch> edited = EventDigestChecker.Check(log);
        var findings = new List<EvidenceFinding>();
        EventProblem? first = null;
        foreach (PcrCheck c in mismatches)
        {
            string expected = Convert.ToHexStringLower(c.Replayed);
            string actualHex = Convert.ToHexStringLower(c.Actual ?? []);
            EventProblem? e = FirstBrokenOfPcr(log, c, edited);
            first ??= e;
            findings.Add(new EvidenceFinding(EvidenceCode.EventLogReplayMismatch,
                $"PCR {c.Bank}:{c.Pcr}: the event log replays to {expected} but the TPM quoted {actualHex} ({c.EventIndices.Count} events)"
                + (e is null ? "." : $"; first event: #{e.Index} {e.EventType} ({e.Description})")));
        }

        return new LogVerification(log, verified, findings, mismatches, first);
    }

    /// <summary>
    /// The log replayed against its own replay, for offline tools that have no quote (<c>policy run</c>): every
    /// PCR the log extends "matches", so the result shows only that the log is consistent with itself, never
    /// what a TPM measured. The verifier never calls this.
    /// </summary>
    public static LogVerification SelfReplay(ParsedEventLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var own = EventLogReplayer.Replay(log).Banks.ToDictionary(b => (TpmAlgId)b.AlgorithmId, b => b.Pcrs);
        return Replay(log, own);
    }

    /// <summary>
    /// True when a quote finding means the message is not shown to be what the node's TPM signed (unparseable,
    /// signed over another nonce or binding, bad signature, an AK that verifies nothing, or PCR values that do
    /// not hash to the signed pcrDigest). Only a signed, consistent quote that is not what was asked (another PCR
    /// selection, signed by the AK as another key's child) is the node's own failure.
    /// </summary>
    public static bool Unauthenticated(Finding f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return f.IsFailure && f.Code is not (QuoteFindingCodes.PcrSelectionMismatch or QuoteFindingCodes.QualifiedSignerMismatch);
    }

    /// <summary>The evidence code of a quote finding code (<see cref="QuoteFindingCodes"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A code this mapping does not know: a new quote check must be mapped here.</exception>
    public static EvidenceCode CodeOf(string quoteFindingCode) => quoteFindingCode switch
    {
        QuoteFindingCodes.QuoteMalformed or QuoteFindingCodes.QuoteMagicInvalid or QuoteFindingCodes.QuoteTypeInvalid => EvidenceCode.QuoteMalformed,
        QuoteFindingCodes.NonceMismatch => EvidenceCode.NonceMismatch,
        QuoteFindingCodes.PcrSelectionMismatch => EvidenceCode.PcrSelectionMismatch,
        QuoteFindingCodes.QualifiedSignerMismatch => EvidenceCode.QualifiedSignerMismatch,
        QuoteFindingCodes.PcrDigestMismatch or QuoteFindingCodes.PcrValueMissing or QuoteFindingCodes.PcrValueSizeInvalid => EvidenceCode.PcrDigestMismatch,
        QuoteFindingCodes.SignatureInvalid or QuoteFindingCodes.SignatureSchemeMismatch or QuoteFindingCodes.SignatureSchemeUnsupported => EvidenceCode.SignatureInvalid,
        QuoteFindingCodes.AkMalformed => EvidenceCode.AkMalformed,
        QuoteFindingCodes.AkTypeUnsupported or QuoteFindingCodes.AkKeyInvalid or QuoteFindingCodes.AkNotRestricted or QuoteFindingCodes.AkNotSigning
            or QuoteFindingCodes.AkNotFixedTpm or QuoteFindingCodes.AkNotFixedParent or QuoteFindingCodes.AkNotSensitiveDataOrigin
            or QuoteFindingCodes.AkDecryptForbidden or QuoteFindingCodes.AkNameAlgWeak or QuoteFindingCodes.AkSchemeMissing => EvidenceCode.AkUnusable,
        _ => throw new ArgumentOutOfRangeException(nameof(quoteFindingCode), quoteFindingCode, "a quote finding code without an evidence code"),
    };

    // The reported values of exactly the PCRs the challenge selected (verified by the quote's digest).
    private static Dictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> QuotedPcrs(TpmlPcrSelection selection, PcrValues reported)
    {
        var result = new Dictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>>();
        foreach (TpmsPcrSelection s in selection.Selections)
        {
            var bank = new SortedDictionary<int, byte[]>();
            foreach (int pcr in s.GetIndexes())
            {
                if (reported.TryGet(s.Hash, pcr, out byte[] v))
                {
                    bank[pcr] = v;
                }
            }

            result[s.Hash] = bank;
        }

        return result;
    }

    // The AK is a primary key of the endorsement hierarchy (DESIGN.md "Identities"), so its qualified
    // name is nameAlg ‖ H(QN(TPM_RH_ENDORSEMENT) ‖ Name) with QN(hierarchy) = its handle (Part 1 §16).
    private static byte[] QualifiedName(TpmtPublic ak, byte[] akName) =>
        TpmName.Qualify(ak.NameAlg, TpmName.OfHandle(TpmHandle.RhEndorsement), akName);

    // Names what of nonce ‖ log digest ‖ release key differs from what was signed, where that can be
    // known: the signed digest may be the node's last accepted log, the signed key may be none.
    private static EvidenceFinding BindingMismatch(ChallengeTerms challenge, NodeEvidence evidence, ReadOnlySpan<byte> signed, byte[] releaseKeyName)
    {
        if (releaseKeyName.Length > 0 && signed.SequenceEqual(EvidenceBinding.Compute(challenge.Nonce, evidence.EventLogSha256, [])))
        {
            return new EvidenceFinding(EvidenceCode.ReleaseKeyMismatch,
                "the quote signed no release key but the message carries one: a release key was added to a copy of the message.");
        }

        if (challenge.AcceptedLogSha256 is { Length: 32 } accepted && !accepted.AsSpan().SequenceEqual(evidence.EventLogSha256)
            && signed.SequenceEqual(EvidenceBinding.Compute(challenge.Nonce, accepted, releaseKeyName)))
        {
            return new EvidenceFinding(EvidenceCode.EventLogDigestMismatch,
                $"the quote signed event log {Convert.ToHexStringLower(accepted)}, the message names {Convert.ToHexStringLower(evidence.EventLogSha256)}: the log was changed in the message.");
        }

        return new EvidenceFinding(EvidenceCode.NonceMismatch,
            $"extraData is not SHA-256(nonce of challenge {challenge.Id} ‖ the message's event log digest ‖ its release key's Name): "
            + "the quote answers another challenge, or the log digest or release key in the message is not the one the TPM signed.");
    }

    // The event of the failing PCR whose digest does not match its data, else the PCR's first event.
    private static EventProblem? FirstBrokenOfPcr(ParsedEventLog log, PcrCheck c, IReadOnlyList<DigestMismatch> edited)
    {
        DigestMismatch? d = edited.FirstOrDefault(x => x.PcrIndex == (uint)c.Pcr && x.Bank == c.Bank);
        if (d is not null)
        {
            return EventProblem.Of(log.UntrustedEvents[d.EventIndex],
                $"logged {d.Bank} digest {Convert.ToHexStringLower(d.Logged)} is not {d.Rule} ({Convert.ToHexStringLower(d.Computed)})");
        }

        return c.EventIndices.Count == 0 ? null : EventProblem.Of(log.UntrustedEvents[c.EventIndices[0]],
            $"the {c.EventIndices.Count} events of PCR {c.Pcr} (from this one) do not replay to the quoted value: tampered or truncated log");
    }

    private static EvidenceVerification Rejected(QuoteVerificationResult? quote, IReadOnlyDictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> quoted, params EvidenceFinding[] findings) =>
        new(false, findings, quote, quoted, null, null);

    private static EvidenceVerification Failed(QuoteVerificationResult quote, IReadOnlyDictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> quoted, EvidenceFinding finding) =>
        new(true, [finding], quote, quoted, null, null);
}
