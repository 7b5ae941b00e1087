using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Evidence;
using KcryptPush.Attestation.Findings;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Attestation.Replay;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Metrics;
using KcryptPush.Verifier.Nodes;
using KcryptPush.Verifier.Policies;
using KcryptPush.Verifier.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KcryptPush.Verifier.Attestation;

/// <summary>
/// Judges one QuoteSubmitted exactly in DESIGN.md's order ("Verification, in order"), each failure
/// its own reason code: (1) node known, AK Name = enrolled AK; (2) challenge issued to this node,
/// unexpired, unused (claimed atomically; a redelivered message gets the stored result); (3)-(5) the
/// quote (TPMS_ATTEST, signature, PCR digest); (6) clock info monotonic, reboot detection; (7) event
/// log: digest, parse, replay per bank against the quoted PCRs; (8) the registered policies.
/// <para>
/// State moves only on evidence shown to come from the node's TPM (the signature verified over our
/// nonce): a forged or replayed message is answered with its reason but cannot quarantine a node.
/// </para>
/// </summary>
public sealed class AttestationPipeline
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly IVerifierStore _store;
    private readonly ChallengeIssuer _issuer;
    private readonly VerifierOptions _options;
    private readonly IReadOnlyList<IAttestationPolicy> _policies;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ParsedLogCache _parsedLogs;
    private readonly AkVerifierCache _akVerifiers;
    private readonly NodeRateLimiter _limits;
    private readonly VerifierMetrics? _metrics;
    private readonly NodeStateMachine _states;

    /// <summary>Creates the pipeline.</summary>
    public AttestationPipeline(
        IVerifierStore store,
        ChallengeIssuer issuer,
        VerifierOptions options,
        IEnumerable<IAttestationPolicy> policies,
        TimeProvider time,
        ILogger<AttestationPipeline>? log = null,
        NodeRateLimiter? limits = null,
        VerifierMetrics? metrics = null)
    {
        _store = store;
        _issuer = issuer;
        _options = options;
        _policies = policies.ToList();
        _time = time;
        _log = (ILogger?)log ?? NullLogger.Instance;
        _parsedLogs = new ParsedLogCache(options.ParsedLogCacheBytes);
        _akVerifiers = new AkVerifierCache(options.AkCacheEntries);
        _limits = limits ?? new NodeRateLimiter(options);
        _metrics = metrics;
        _states = new NodeStateMachine(options.RelearnsPerDay);
    }

    /// <summary>The parsed event log cache (bounded in bytes).</summary>
    public ParsedLogCache ParsedLogs => _parsedLogs;

    /// <summary>Judges <paramref name="m"/>.</summary>
    /// <exception cref="MessageValidationException">The message is structurally invalid (goes to the error queue).</exception>
    public AttestationOutcome Evaluate(QuoteSubmitted m)
    {
        ArgumentNullException.ThrowIfNull(m);
        TpmtPublic? releaseKey = Validate(m, _options);
        DateTime now = _time.GetUtcNow().UtcDateTime;

        // One unit of the node from here: it waits for any other unit of the node (in any instance on a
        // shared store), and what the judgement changes (state, outbox, history, audit, logs, the
        // challenge claim and the next challenge) is committed together before the answer leaves.
        // A return without Commit writes nothing.
        using (IVerifierUnit unit = _store.BeginNode(m.TpmHash))
        {
            // (1) Node known and enrolled; the AK Name in the message is the enrolled AK's.
            VerifierNode? node = unit.Node;
            if (node is null)
            {
                return new AttestationOutcome(Result(m, AttestationVerdicts.Fail, null, Reason(AttestationReasonCodes.NodeUnknown,
                    $"no enrolled node has TPM hash {m.TpmHash}: enrol with the registrar first.")), null) { Rejected = true };
            }

            NodeAttestation rec = unit.GetOrNewAttestation(now);
            if (rec.State == NodeStates.Terminated)
            {
                return new AttestationOutcome(Result(m, AttestationVerdicts.Terminated, null, Reason(AttestationReasonCodes.NodeNotAttesting,
                    $"node {m.TpmHash} spent its attestation budget ({rec.AttestationsPassed} passes) and is terminated.")), null) { Rejected = true };
            }

            if (!CryptographicOperations.FixedTimeEquals(m.AkName, node.AkName))
            {
                return Reject(m, Reason(AttestationReasonCodes.AkMismatch,
                    $"the quote names AK {Convert.ToHexStringLower(m.AkName)}, the node is enrolled with AK {Convert.ToHexStringLower(node.AkName)}."));
            }

            // (2) The challenge: issued to this node, unused (or this very message again), unexpired.
            ChallengeRecord? challenge = unit.FindChallenge(m.ChallengeId);
            if (challenge is null || challenge.TpmHash != m.TpmHash)
            {
                return Reject(m, Reason(AttestationReasonCodes.ChallengeUnknown,
                    $"challenge {m.ChallengeId} was not issued to node {m.TpmHash}."));
            }

            // Expiry bounds redelivery too: the agent stops resending when its challenge expires, so a
            // copy arriving later is a replay, and must not fetch the stored result (or fresh secrets).
            if (now > challenge.ExpiresAt.ToUniversalTime())
            {
                return Reject(m, Reason(AttestationReasonCodes.ChallengeExpired,
                    $"challenge {m.ChallengeId} expired at {challenge.ExpiresAt.ToUniversalTime():O}."));
            }

            byte[] submission = SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(m, Json));
            if (challenge.UsedAt is not null)
            {
                bool same = challenge.SubmissionDigest is not null && CryptographicOperations.FixedTimeEquals(challenge.SubmissionDigest, submission);
                if (same && challenge.ResultJson is not null)
                {
                    return Redelivered(m, node, rec, challenge, releaseKey);
                }

                if (!same)
                {
                    return Reject(m, Reason(AttestationReasonCodes.ChallengeReused,
                        $"challenge {m.ChallengeId} was already answered at {challenge.UsedAt.Value.ToUniversalTime():O}: a replayed or second quote."));
                }

                // Same message, claimed but no result stored (the verifier stopped mid-way): judge it again.
            }

            // (3)-(5) The quote and everything it signed. A message that contradicts its signature is
            // answered but changes nothing: the challenge stays unclaimed for the genuine message.
            long quoteStart = Stopwatch.GetTimestamp();
            PcrValues reported = ReportedPcrs(m);
            var evidence = new NodeEvidence(m.Attest, m.Signature, reported, m.EventLogSha256) { EventLog = m.EventLog, ReleaseKey = releaseKey };
            EvidenceVerification quote = _akVerifiers.Get(node.AkName, node.AkPublic) is { } ak
                ? EvidenceVerifier.VerifyQuote(ak, node.AkName, TermsOf(challenge, rec), evidence)
                : EvidenceVerifier.VerifyQuote(new EnrolledAk(node.AkPublic, node.AkName), TermsOf(challenge, rec), evidence);
            _metrics?.StageTook(VerificationStages.Quote, quoteStart);
            if (!quote.Authenticated)
            {
                return Reject(m, quote.Findings.Select(EvidenceReasons.Of).ToArray());
            }

            // A node's own flood (authenticated: a forger cannot spend the node's quota) is refused unjudged.
            if (!_limits.TryQuote(m.TpmHash, now))
            {
                return Reject(m, Reason(AttestationReasonCodes.RateLimited,
                    $"node {m.TpmHash} sent more than {_options.QuotesPerMinute} quotes in a minute: not judged; the challenge stays open."));
            }

            _limits.Used(m.TpmHash, challenge.Id);
            challenge.UsedAt ??= now;
            _metrics?.Challenges.Answered(challenge.Id);
            challenge.SubmissionDigest = submission;
            AttestationOutcome outcome = Judge(unit, m, node, rec, quote, reported, releaseKey, now);

            // No sealed secret is stored: a redelivery gets the verdict, and secrets sealed afresh.
            challenge.ResultJson = JsonSerializer.Serialize(outcome.Result with { Secrets = null }, Json);
            unit.PutChallenge(challenge);
            long storeStart = Stopwatch.GetTimestamp();
            unit.Commit();
            _metrics?.StageTook(VerificationStages.Store, storeStart);
            return outcome;
        }
    }

    // An identical redelivery within the challenge's validity: the stored verdict; secrets are sealed
    // afresh, and only to a node that is trusted now (a quarantine since withdraws them).
    private AttestationOutcome Redelivered(QuoteSubmitted m, VerifierNode node, NodeAttestation rec, ChallengeRecord challenge, TpmtPublic? releaseKey)
    {
        _log.LogInformation("Redelivered QuoteSubmitted for challenge {Challenge}: same result", m.ChallengeId);
        AttestationResult stored = JsonSerializer.Deserialize<AttestationResult>(challenge.ResultJson!, Json)!;
        bool trustedNow = rec.State == NodeStates.Trusted && rec.OperatorQuarantine is null;
        if (stored.Verdict != AttestationVerdicts.Pass || !trustedNow || releaseKey is null || m.WantedSecrets is not { Length: > 0 } wanted)
        {
            return new AttestationOutcome(stored with { Secrets = null, MissingSecrets = trustedNow ? stored.MissingSecrets : null }, null) { Redelivery = true };
        }

        (SealedSecret[] secrets, string[] missing) = Seal(node, releaseKey, wanted.Distinct(StringComparer.Ordinal));
        return new AttestationOutcome(stored with { Secrets = secrets, MissingSecrets = missing }, null) { Redelivery = true };
    }

    // Steps 6-8 over an authenticated quote and a claimed challenge.
    private AttestationOutcome Judge(IVerifierUnit unit, QuoteSubmitted m, VerifierNode node, NodeAttestation rec, EvidenceVerification quote,
        PcrValues reported, TpmtPublic? releaseKey, DateTime now)
    {
        TpmsAttest attest = quote.Attest!;
        if (quote.Findings.Any(f => f.Code is not (EvidenceCode.ClockWentBackwards or EvidenceCode.ReleaseKeyInvalid)))
        {
            // Signed and consistent, but not what was asked (another PCR selection, qualifiedSigner).
            return Fail(unit, m, node, rec, now, attest, quote.Findings.Select(EvidenceReasons.Of).ToArray(), [], null);
        }

        TpmsClockInfo clock = attest.ClockInfo;

        // (6) Clock info never goes backwards for the node: not below what was accepted before the
        // challenge was issued (its floor, checked by EvidenceVerifier); a new resetCount is a reboot.
        bool rebooted = rec.HasClock && clock.ResetCount > (ulong)rec.LastResetCount;
        if (quote.Findings.FirstOrDefault(f => f.Code == EvidenceCode.ClockWentBackwards) is { } clockProblem)
        {
            return Fail(unit, m, node, rec, now, attest, [EvidenceReasons.Of(clockProblem)], [], null);
        }

        if (!rec.HasClock || IsLater(clock, rec))
        {
            rec.HasClock = true;
            rec.LastClock = (long)clock.Clock;
            rec.LastResetCount = clock.ResetCount;
            rec.LastRestartCount = clock.RestartCount;
        }

        if (rebooted)
        {
            _log.LogInformation("Node {Node} rebooted (resetCount {Reset}): its boot log is evaluated afresh", m.TpmHash, clock.ResetCount);
        }

        // A TPM firmware update shows as a new firmwareVersion (signed, real for an endorsement AK): audited.
        if (rec.TpmFirmwareVersion != attest.FirmwareVersion)
        {
            unit.AddAudit("verifier", "tpm firmware", rec.TpmFirmwareVersion is { } old ? FirmwareText(old) : null, FirmwareText(attest.FirmwareVersion), now);
            rec.TpmFirmwareVersion = attest.FirmwareVersion;
        }

        if (_options.MinTpmFirmwareVersion is { } min && attest.FirmwareVersion < min)
        {
            return Fail(unit, m, node, rec, now, attest, [new AttestationReason(AttestationReasonCodes.TpmFirmwareTooOld,
                $"TPM firmware {FirmwareText(attest.FirmwareVersion)} is older than the minimum {FirmwareText(min)} (Verifier:MinTpmFirmwareVersion).")], [], null);
        }

        // The release key the AK signed must bind a secret to these PCR values and this boot.
        if (quote.Findings.FirstOrDefault(f => f.Code == EvidenceCode.ReleaseKeyInvalid) is { } keyProblem)
        {
            return Fail(unit, m, node, rec, now, attest, [EvidenceReasons.Of(keyProblem)], [], null);
        }

        Dictionary<string, IReadOnlyDictionary<int, byte[]>> quoted = quote.QuotedPcrs.ToDictionary(
            b => TpmAlgorithms.BankName(b.Key), b => b.Value, StringComparer.Ordinal);

        // (7) The event log: the full log (its digest was checked against the signed one), or one
        // already held for the node.
        byte[] logBytes;
        if (m.EventLog is not null)
        {
            logBytes = m.EventLog;
        }
        else if (unit.FindLog(m.EventLogSha256) is { } known)
        {
            logBytes = known.Log;
            unit.TouchLog(known, now);
        }
        else
        {
            return LogWanted(unit, m, node, rec, now, attest, quoted, reported, rebooted);
        }

        rec.LogWanted = false;
        rec.LogRequestsUnanswered = 0;
        long replayStart = Stopwatch.GetTimestamp();
        EvidenceVerification verified = EvidenceVerifier.VerifyLog(quote, () => _parsedLogs.GetOrParse(m.EventLogSha256, logBytes));
        _metrics?.StageTook(VerificationStages.Replay, replayStart);
        if (verified.LogCheck is not { } replay)
        {
            return Fail(unit, m, node, rec, now, attest, verified.Findings.Select(EvidenceReasons.Of).ToArray(), [], null);
        }

        if (m.EventLog is not null)
        {
            unit.StoreLog(m.EventLogSha256, m.EventLog, now);
        }

        if (!replay.Passed)
        {
            return Fail(unit, m, node, rec, now, attest, replay.Findings.Select(EvidenceReasons.Of).ToArray(),
                replay.Mismatches.Select(c => new PcrMismatch(c.Bank, c.Pcr, Convert.ToHexStringLower(c.Replayed), Convert.ToHexStringLower(c.Actual ?? []))).ToArray(),
                replay.FirstBrokenEvent is { } first ? EventDescriptions.ToContract(first) : null);
        }

        // (8) Policies over the validated evidence.
        ParsedEventLog? reference = null;
        if (rec.AcceptedLogSha256 is { } accepted && unit.FindLog(accepted) is { } refRecord)
        {
            try
            {
                reference = _parsedLogs.GetOrParse(accepted, refRecord.Log);
            }
            catch (EventLogFormatException)
            {
                reference = null;
            }
        }

        var context = new PolicyContext
        {
            Node = rec, EnrolledAkName = node.AkName, QuotedPcrs = quoted, Log = replay.Log, ReferenceLog = reference, Now = now,
            ReportedPcrs = reported,
        };
        long policyStart = Stopwatch.GetTimestamp();
        var decisions = _policies.Select(p => p.Evaluate(context)).ToList();
        _metrics?.StageTook(VerificationStages.Policy, policyStart);
        AttestationReason[] policyFailures = decisions.SelectMany(d => d.Failures).ToArray();
        if (policyFailures.Length > 0)
        {
            return Fail(unit, m, node, rec, now, attest, policyFailures,
                decisions.SelectMany(d => d.FailingPcrs).ToArray(), decisions.Select(d => d.FirstBrokenEvent).FirstOrDefault(e => e is not null));
        }

        // What the policies learned is stored only if the pass stands (the re-learn limit can fail it).
        return Conclude(unit, m, node, rec, now, attest,
            new AttestationPassed(m.EventLogSha256, decisions.SelectMany(d => d.Changes).ToArray(), decisions.Any(d => d.Terminate)), releaseKey, rebooted);
    }

    // The quote names a log the verifier does not hold and does not carry it. The policies that need no
    // log are judged now on the signed values (a violation quarantines without the log); otherwise the
    // log is asked for, and a node that answers twice more without it is quarantined: withholding the
    // evidence is a finding, and such messages never count as evidence for the silence detector.
    private AttestationOutcome LogWanted(IVerifierUnit unit, QuoteSubmitted m, VerifierNode node, NodeAttestation rec, DateTime now, TpmsAttest attest,
        Dictionary<string, IReadOnlyDictionary<int, byte[]>> quoted, PcrValues reported, bool rebooted)
    {
        var context = new PolicyContext { Node = rec, EnrolledAkName = node.AkName, QuotedPcrs = quoted, ReportedPcrs = reported, Now = now };
        var decisions = _policies.Where(p => !p.NeedsEventLog).Select(p => p.Evaluate(context)).ToList();
        var missing = new EventLogMissing(m.EventLogSha256, decisions.SelectMany(d => d.Failures).ToArray(), decisions.SelectMany(d => d.FailingPcrs).ToArray());
        return Conclude(unit, m, node, rec, now, attest, missing, null, rebooted);
    }

    // A failure of evidence shown to come from the node's TPM (or of policy): quarantine.
    private AttestationOutcome Fail(
        IVerifierUnit unit, QuoteSubmitted m, VerifierNode node, NodeAttestation rec, DateTime now, TpmsAttest? attest,
        AttestationReason[] reasons, PcrMismatch[] pcrs, BrokenEvent? firstEvent) =>
        Conclude(unit, m, node, rec, now, attest, new AttestationFailed(reasons, pcrs, firstEvent), null, false);

    // The node state machine decides; its transition, the history record and the next challenge go
    // into the node's unit together, and secrets are sealed only when the transition allows them.
    private AttestationOutcome Conclude(IVerifierUnit unit, QuoteSubmitted m, VerifierNode node, NodeAttestation rec, DateTime now, TpmsAttest? attest,
        NodeEvent e, TpmtPublic? releaseKey, bool rebooted)
    {
        NodeTransition t = _states.Decide(rec, node.Hostname, e, now);
        if (t.Refused)
        {
            // Step (1) answers a terminated node before anything is judged; this is the same answer.
            return new AttestationOutcome(Result(m, AttestationVerdicts.Terminated, null, Reason(AttestationReasonCodes.NodeNotAttesting,
                $"node {m.TpmHash} spent its attestation budget ({rec.AttestationsPassed} passes) and is terminated.")), null) { Rejected = true };
        }

        string verdict = t.AttestationVerdict ?? throw new InvalidOperationException($"{e.GetType().Name} is no attestation event");
        AttestationReason[] reasons = [.. t.Reasons];
        SealedSecret[]? secrets = null;
        string[]? missing = null;
        if (t.ReleaseSecrets && m.WantedSecrets is { Length: > 0 } wanted && releaseKey is not null)
        {
            (secrets, missing) = Seal(node, releaseKey, wanted.Distinct(StringComparer.Ordinal));
        }

        NodeTransitionWriter.Write(unit, rec, t, now);
        AddHistory(unit, m, now, verdict, reasons, attest?.ClockInfo ?? default, verdict != AttestationVerdicts.Fail && rebooted);
        if (verdict == AttestationVerdicts.Fail)
        {
            _log.LogWarning("Node {Node} failed attestation: {Reasons}", m.TpmHash, string.Join("; ", reasons.Select(r => $"{r.Code}: {r.Message}")));
        }

        Challenge? next = t.IssueChallenge ? _issuer.Issue(unit) : null;
        return new AttestationOutcome(new AttestationResult(m.ChallengeId, m.TpmHash, verdict, reasons, next, t.EventLogWanted, secrets, missing), t.Verdict);
    }

    // A message not shown to come from the node's TPM, or contradicting what it signed: answered with
    // its reason, and nothing is written (no state, record, history or challenge claim), so a forged
    // copy can neither quarantine a node, erase its history nor use up the genuine message's challenge.
    private AttestationOutcome Reject(QuoteSubmitted m, params AttestationReason[] reasons)
    {
        _log.LogWarning("Quote for node {Node} rejected, nothing recorded: {Reasons}", m.TpmHash, string.Join("; ", reasons.Select(r => $"{r.Code}: {r.Message}")));
        return new AttestationOutcome(Result(m, AttestationVerdicts.Fail, null, reasons), null) { Rejected = true };
    }

    // Each secret's AES key is the credential of a MakeCredential to the node's EK bound to the release
    // key's Name: only that TPM, in this boot, with these PCR values, can activate it.
    private (SealedSecret[] Secrets, string[] Missing) Seal(VerifierNode node, TpmtPublic releaseKey, IEnumerable<string> labels)
    {
        TpmtPublic ek = TpmtPublic.Parse(node.EkPublic);
        var sealedSecrets = new List<SealedSecret>();
        var missing = new List<string>();
        foreach (string label in labels)
        {
            byte[]? secret;
            try
            {
                secret = _store.OpenSecret(node.TpmHash, label);
            }
            catch (CryptographicException e)
            {
                // Not released, and said loudly: the stored ciphertext was altered or the key file replaced.
                _log.LogError("Secret {Label} of {Node} cannot be opened: {Reason}", label, node.TpmHash, e.Message);
                secret = null;
            }

            if (secret is null)
            {
                missing.Add(label);
                continue;
            }

            try
            {
                SealedSecretParts p = SecretSeal.Seal(ek, releaseKey.ComputeName(), node.TpmHash, label, secret);
                sealedSecrets.Add(new SealedSecret(p.Label, p.CredentialBlob, p.EncryptedSecret, p.Nonce, p.Ciphertext, p.Tag));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(secret);
            }
        }

        return (sealedSecrets.ToArray(), missing.ToArray());
    }

    /// <summary>Whether <paramref name="c"/> is later than the node's latest accepted clock info
    /// (ordered by resetCount, then restartCount, then clock).</summary>
    private static bool IsLater(TpmsClockInfo c, NodeAttestation rec) =>
        ((ulong)c.ResetCount, (ulong)c.RestartCount, c.Clock).CompareTo(((ulong)rec.LastResetCount, (ulong)rec.LastRestartCount, (ulong)rec.LastClock)) > 0;

    /// <summary>A firmwareVersion as <c>tpm info</c> prints it: FIRMWARE_VERSION_1.FIRMWARE_VERSION_2 in hex.</summary>
    public static string FirmwareText(ulong version) => $"{version >> 32:x8}.{version & 0xFFFF_FFFF:x8}";

    // What the challenge asked for, and the node's last accepted log (to name a binding that signed it).
    private static ChallengeTerms TermsOf(ChallengeRecord c, NodeAttestation rec) =>
        new(c.Id, c.Nonce, SelectionOf(c), c.ClockFloor is { } f ? new TpmsClockInfo((ulong)f.Clock, (uint)f.ResetCount, (uint)f.RestartCount, false) : null)
        {
            AcceptedLogSha256 = rec.AcceptedLogSha256,
        };

    private static TpmlPcrSelection SelectionOf(ChallengeRecord c) => TpmlPcrSelection.Create(
        c.Selection.Select(s => TpmAlgorithms.TryParsePcrBank(s.Bank, out TpmAlgId alg)
            ? (alg, (IEnumerable<int>)s.Pcrs)
            : throw new InvalidOperationException($"stored challenge {c.Id} names unknown bank {s.Bank}")).ToArray());

    private static PcrValues ReportedPcrs(QuoteSubmitted m)
    {
        var values = new PcrValues();
        foreach (PcrBankValues bank in m.Pcrs)
        {
            if (bank?.Values is null || !TpmAlgorithms.TryParsePcrBank(bank.Bank, out TpmAlgId alg))
            {
                continue; // an unknown bank cannot be in the selection: the quote check reports what is missing
            }

            foreach ((int pcr, byte[] value) in bank.Values)
            {
                if (pcr is >= 0 and < 256 && value is not null)
                {
                    values.Set(alg, pcr, value);
                }
            }
        }

        return values;
    }

    private static void AddHistory(IVerifierUnit unit, QuoteSubmitted m, DateTime now, string verdict, IReadOnlyList<AttestationReason> reasons, TpmsClockInfo clock, bool rebooted) =>
        unit.AddHistory(new HistoryRecord
        {
            TpmHash = m.TpmHash,
            At = now,
            ChallengeId = m.ChallengeId,
            Verdict = verdict,
            Codes = reasons.Select(r => r.Code).ToList(),
            Messages = reasons.Select(r => r.Message).ToList(),
            ResetCount = clock.ResetCount,
            Clock = (long)clock.Clock,
            Rebooted = rebooted,
        });

    private static AttestationResult Result(QuoteSubmitted m, string verdict, Challenge? next, AttestationReason[] reasons, bool eventLogWanted = false) =>
        new(m.ChallengeId, m.TpmHash, verdict, reasons, next, eventLogWanted, null, null);

    private static AttestationReason[] Reason(string code, string message) => [new AttestationReason(code, message)];

    /// <summary>Structure and size caps of a QuoteSubmitted, checked before anything is hashed or parsed.</summary>
    /// <returns>The parsed release key, or null when none is sent.</returns>
    /// <exception cref="MessageValidationException">What is wrong with the message.</exception>
    public static TpmtPublic? Validate(QuoteSubmitted m, VerifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(options);
        if (m.EventLog is { Length: var size } && size > options.MaxEventLogBytes)
        {
            throw new MessageValidationException($"QuoteSubmitted.EventLog is {size} bytes, more than Verifier:MaxEventLogBytes ({options.MaxEventLogBytes})");
        }

        if (m.Pcrs is { Length: var banks } && banks > options.MaxPcrBanks)
        {
            throw new MessageValidationException($"QuoteSubmitted.Pcrs has {banks} banks, more than Verifier:MaxPcrBanks ({options.MaxPcrBanks})");
        }

        if (m.Pcrs?.FirstOrDefault(b => b?.Values is { Count: var n } && n > options.MaxPcrsPerBank) is { } big)
        {
            throw new MessageValidationException($"QuoteSubmitted.Pcrs bank {big.Bank} has {big.Values.Count} values, more than Verifier:MaxPcrsPerBank ({options.MaxPcrsPerBank})");
        }

        if (m.TpmHash is not { Length: 64 } || !m.TpmHash.All(char.IsAsciiHexDigitLower))
        {
            throw new MessageValidationException("QuoteSubmitted.TpmHash must be 64 lowercase hex digits");
        }

        if (m.AkName is not { Length: > 2 } || m.Attest is not { Length: > 0 } || m.Signature is not { Length: > 0 } || m.Pcrs is null)
        {
            throw new MessageValidationException("QuoteSubmitted needs AkName, Attest, Signature and Pcrs");
        }

        if (m.EventLogSha256 is not { Length: 32 })
        {
            throw new MessageValidationException("QuoteSubmitted.EventLogSha256 must be 32 bytes");
        }

        bool wantsSecrets = m.WantedSecrets is { Length: > 0 };
        if (wantsSecrets != m.ReleaseKeyPublic is not null)
        {
            throw new MessageValidationException(wantsSecrets
                ? "QuoteSubmitted.WantedSecrets needs ReleaseKeyPublic: secrets are bound to a release key the quote signs"
                : "QuoteSubmitted.ReleaseKeyPublic is only sent with WantedSecrets");
        }

        if (m.ReleaseKeyPublic is null)
        {
            return null;
        }

        try
        {
            return TpmtPublic.Parse(m.ReleaseKeyPublic);
        }
        catch (KcryptPush.Tpm.Marshalling.TpmFormatException e)
        {
            throw new MessageValidationException($"QuoteSubmitted.ReleaseKeyPublic is not a TPMT_PUBLIC: {e.Message}");
        }
    }
}
