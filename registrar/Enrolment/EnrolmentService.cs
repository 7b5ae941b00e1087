using System.Security.Cryptography;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Registrar.EkCertificates;
using KcryptPush.Registrar.Options;
using KcryptPush.Registrar.Store;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Registrar.Enrolment;

/// <summary>
/// The registrar's enrolment logic, free of messaging (the consumers translate): check a
/// registration and issue a credential challenge (MakeCredential to the EK, bound to the AK Name),
/// then check the proof and enrol. Structurally invalid messages throw
/// <see cref="MessageValidationException"/> (they go to the error queue); every other refusal is
/// an <see cref="EnrolmentRejected"/> answer, counted per reason and logged (see "Rejections").
/// </summary>
/// <remarks>
/// <para><b>Records.</b> A node record (<see cref="NodeRecord"/>) is written only by a valid
/// <see cref="CredentialProof"/>: anyone with an agent's broker login can send a RegisterNode with
/// a node's public EK and EK certificate, so a registration changes no record. What it asks for
/// (EK certificate, AK, host name) waits in its <see cref="ChallengeRecord"/> and becomes the
/// node's record only when the TPM holding that EK proves the AK by credential activation.</para>
/// <para><b>Rate limits.</b> A registration first passes the cheap checks (shape, EK type, claimed
/// TPM hash = the EK's, AK attributes, an EK certificate present when one is required); failing
/// ones are refused without touching any quota. A redelivery of an attempt that already has an open
/// challenge gets it back without touching any quota. Then, before the expensive work (certificate
/// chain check and MakeCredential):
/// <list type="bullet">
/// <item>The global limit (<see cref="RegistrarOptions.GlobalRegistrationsPerMinute"/>) counts every
/// registration that gets this far, across all TPM hashes. It bounds the CPU spent on chain
/// checks and MakeCredential and the challenges and audit entries written, whoever sends.</item>
/// <item>The per-hash limit (<see cref="RegistrarOptions.RegistrationsPerMinute"/>, sliding minute)
/// protects the other nodes' share of the global limit and the store from one EK registering in a
/// loop, without letting a sender who merely knows a node's public EK lock that node out. For a TPM
/// hash with no enrolled record it counts the registrations that got this far (so one EK, a looping
/// agent or a replayed certificate, takes at most that many of the global attempts a minute). For
/// an enrolled TPM hash it counts only completed enrolments (valid proofs, which only the TPM
/// holding the EK can make): a registration is refused when that many enrolments of the hash
/// completed in the last minute, and registrations that are never proven spend nothing, so a flood
/// of them cannot stop the node from re-enrolling (it only competes for the global limit, like any
/// other flood). It does not protect a node's first enrolment against a sender who knows its EK
/// certificate: before the first proof the registrar cannot tell the node from that sender.</item>
/// </list>
/// Refusals over either limit answer <c>rate-limited</c>.</para>
/// <para><b>Rejections</b> are counted per reason code (<see cref="RegistrarMetrics"/>, and in the
/// store's <c>rejections</c> counters by <see cref="ReportRejections"/>, which also logs one summary
/// line); the first few in each report interval are also logged one by one. None is audited
/// except a proof that failed or came too late for a challenge that was issued (once per challenge,
/// so bounded by the limits above): a flood of refused requests adds no row to the file.</para>
/// <para><b>Store.</b> Each step's reads and writes are one unit of work of the node
/// (<see cref="IRegistrarStore.BeginNode"/>): a registration's challenge and audit entries, a proof's
/// use of the challenge, node record and audit entries, committed together before the answer. The store
/// serialises units of one node (across registrars on one PostgreSQL database too) and consumes a
/// challenge once, so a proof sent to two registrars at once enrols the node once and the other
/// answer is the stored one (the same proof) or a refusal. The process lock that remains guards this
/// process's own memory (rate limits, the open challenges of redelivered registrations, the enrolled
/// set); a proof takes it only after its unit ended. With several registrars, each keeps its own rate
/// limits (the global limit is per registrar) and learns of nodes the others enrolled within a minute.</para>
/// </remarks>
public sealed class EnrolmentService
{
    /// <summary>Largest TPMT_PUBLIC accepted (RSA-4096 with a SHA-512 policy is ~600 bytes).</summary>
    public const int MaxPublicAreaSize = 1024;

    /// <summary>Largest EK certificate accepted (swtpm's are ~1 KB, vendors' up to ~2 KB).</summary>
    public const int MaxCertificateSize = 8192;

    /// <summary>Largest host name (RFC 1035 §2.3.4 limits a name to 255 octets).</summary>
    public const int MaxHostnameLength = 255;

    /// <summary>Rejections logged one by one per report interval; the rest only in the summary.</summary>
    public const int RejectionsLoggedPerInterval = 20;

    private const int CredentialSize = 32;
    private static readonly TimeSpan KeepUsedChallenges = TimeSpan.FromDays(1);

    private readonly IRegistrarStore _store;
    private readonly EkCertificateValidator _certificates;
    private readonly RegistrationRateLimiter _rateLimiter;
    private readonly RegistrationRateLimiter _enrolmentsPerHash;
    private readonly GlobalRegistrationLimiter _global;
    private readonly RegistrarMetrics _metrics;
    private readonly RegistrarOptions _options;
    private readonly HashSet<string> _allowed;
    private readonly TimeProvider _time;
    private readonly ILogger<EnrolmentService> _log;
    private readonly Lock _gate = new();
    private readonly Lock _logGate = new();
    private readonly Dictionary<string, long> _reported = new(StringComparer.Ordinal);

    // In memory, so that a refused registration costs no store read: the enrolled TPM hashes (read
    // again from the store every minute, for what other registrars on the same database enrolled) and
    // the open challenges by registration id (at most the global limit per challenge lifetime).
    private readonly HashSet<string> _enrolled;
    private readonly Dictionary<Guid, ChallengeRecord> _openByRegistration = [];
    private DateTimeOffset _lastPurge = DateTimeOffset.MinValue;
    private DateTimeOffset _reportedAt;
    private int _rejectionsLogged;
    private long _rejectionsNotLogged;

    /// <summary>Creates the service.</summary>
    public EnrolmentService(
        IRegistrarStore store,
        EkCertificateValidator certificates,
        RegistrationRateLimiter rateLimiter,
        RegistrarMetrics metrics,
        RegistrarOptions options,
        TimeProvider time,
        ILogger<EnrolmentService> log)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _certificates = certificates ?? throw new ArgumentNullException(nameof(certificates));
        _rateLimiter = rateLimiter ?? throw new ArgumentNullException(nameof(rateLimiter));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _log = log ?? throw new ArgumentNullException(nameof(log));
        _enrolmentsPerHash = new RegistrationRateLimiter(rateLimiter.PerMinute, time);
        _global = new GlobalRegistrationLimiter(options.GlobalRegistrationsPerMinute, time);
        _reportedAt = time.GetUtcNow();
        _enrolled = new HashSet<string>(store.ListEnrolledTpmHashes(), StringComparer.Ordinal);
        foreach (ChallengeRecord open in store.ListOpenChallenges(_reportedAt.UtcDateTime))
        {
            _openByRegistration[open.RegistrationId] = open;
        }

        _allowed = new HashSet<string>(options.AllowedTpmHashes.Select(h => h.Trim().ToLowerInvariant()), StringComparer.Ordinal);
    }

    /// <summary>Handles a RegisterNode.</summary>
    /// <exception cref="MessageValidationException">A field is missing, too large, or not a TPMT_PUBLIC.</exception>
    public RegistrationOutcome Register(RegisterNode request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateShape(request);
        TpmtPublic ek = ParsePublic(request.EkPublic, nameof(RegisterNode.EkPublic));
        TpmtPublic ak = ParsePublic(request.AkPublic, nameof(RegisterNode.AkPublic));
        string claimed = request.TpmHash;

        lock (_gate)
        {
            DateTimeOffset now = _time.GetUtcNow();
            PurgeOccasionally(now);

            KeyCheckResult ekCheck = EkKeyCheck.Check(ek);
            if (!ekCheck.Ok)
            {
                return RejectRegistration(claimed, EnrolmentRejectionReasons.EkUnsupported, ekCheck.Problem!, request);
            }

            string tpmHash;
            try
            {
                tpmHash = TpmHash.Of(ek);
            }
            catch (Exception e) when (e is CryptographicException or InvalidOperationException or NotSupportedException or ArgumentException)
            {
                return RejectRegistration(claimed, EnrolmentRejectionReasons.EkUnsupported, $"the EK public key is unusable: {e.Message}", request);
            }

            // The identity is what the EK proves, never what the message claims (DESIGN.md "Identities").
            if (!string.Equals(claimed, tpmHash, StringComparison.Ordinal))
            {
                return RejectRegistration(tpmHash, EnrolmentRejectionReasons.TpmHashMismatch,
                    $"the claimed TPM hash {claimed} is not the SHA-256 of the EK public key sent ({tpmHash})", request);
            }

            KeyCheckResult akCheck = AkAttributeCheck.Check(ak);
            if (!akCheck.Ok)
            {
                return RejectRegistration(tpmHash, EnrolmentRejectionReasons.AkAttributes, akCheck.Problem!, request);
            }

            if (request.EkCertificate is null && (_options.RequireEkCertificate || !_allowed.Contains(tpmHash)))
            {
                return RejectRegistration(tpmHash, EnrolmentRejectionReasons.EkCertificateMissing, NoCertificateDetail(), request);
            }

            // A redelivered or retried RegisterNode of the same attempt gets the same challenge.
            if (_openByRegistration.TryGetValue(request.RegistrationId, out ChallengeRecord? open)
                && open.ExpiresAt.ToUniversalTime() > now.UtcDateTime
                && string.Equals(open.TpmHash, tpmHash, StringComparison.Ordinal)
                && open.AkPublic.AsSpan().SequenceEqual(request.AkPublic))
            {
                return new RegistrationOutcome(ToChallenge(open), null);
            }

            // The rate limits (see the remarks), before any expensive work or store access.
            bool enrolled = _enrolled.Contains(tpmHash);
            if (enrolled ? !_enrolmentsPerHash.HasRoom(tpmHash) : !_rateLimiter.HasRoom(tpmHash))
            {
                return RejectRegistration(tpmHash, EnrolmentRejectionReasons.RateLimited, enrolled
                    ? $"this node enrolled {_enrolmentsPerHash.PerMinute} times in the last minute"
                    : $"more than {_rateLimiter.PerMinute} registrations of this TPM hash in a minute", request);
            }

            if (!_global.TryAcquire())
            {
                return RejectRegistration(tpmHash, EnrolmentRejectionReasons.RateLimited,
                    $"more than {_global.PerMinute} enrolment attempts in a minute across all nodes (Registrar:GlobalRegistrationsPerMinute)", request);
            }

            if (!enrolled)
            {
                _rateLimiter.Record(tpmHash);
            }

            (string? trust, string? reason, string detail) = DecideEkTrust(request.EkCertificate, tpmHash);
            if (trust is null)
            {
                return RejectRegistration(tpmHash, reason!, detail, request);
            }

            byte[] akName = ak.ComputeName();
            byte[] secret = RandomNumberGenerator.GetBytes(Math.Min(CredentialSize, TpmAlgorithms.GetDigestSize(ek.NameAlg)));
            CredentialBlob blob;
            try
            {
                blob = MakeCredential.ForEk(ek, akName, secret);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException or NotSupportedException or InvalidOperationException)
            {
                return RejectRegistration(tpmHash, EnrolmentRejectionReasons.EkUnsupported, $"MakeCredential to this EK failed: {e.Message}", request);
            }

            var challenge = new ChallengeRecord
            {
                Id = Guid.NewGuid(),
                TpmHash = tpmHash,
                RegistrationId = request.RegistrationId,
                Secret = secret,
                CredentialBlob = blob.IdObjectContents.ToArray(),
                EncryptedSecret = blob.EncryptedSecretContents.ToArray(),
                EkPublic = request.EkPublic,
                EkCertificate = request.EkCertificate,
                EkTrust = trust,
                AkPublic = request.AkPublic,
                AkName = akName,
                Hostname = request.Hostname,
                IssuedAt = now.UtcDateTime,
                ExpiresAt = (now + _options.ChallengeLifetime).UtcDateTime,
            };
            // Nothing of the node's record changes here: only a valid proof may (see the remarks).
            using (IRegistrarUnit unit = _store.BeginNode(tpmHash))
            {
                unit.PutChallenge(challenge);
                NodeRecord? node = unit.Node;
                if (node is { State: NodeState.Enrolled } && !node.AkName.AsSpan().SequenceEqual(akName))
                {
                    unit.AddAudit(NewAudit(tpmHash, AuditEvents.AkChangeRequested, $"registration with a different AK from host '{request.Hostname}'; the enrolled AK stays until the new one is proven",
                        request.RegistrationId, challenge.Id, oldAk: node.AkName, newAk: akName));
                    _log.LogInformation("Node {Node} registers a different AK {NewAkName} (enrolled {OldAkName}); running activation again",
                        tpmHash, Convert.ToHexStringLower(akName), Convert.ToHexStringLower(node.AkName));
                }

                unit.AddAudit(NewAudit(tpmHash, AuditEvents.ChallengeIssued, $"{detail}; AK {Convert.ToHexStringLower(akName)}; expires {challenge.ExpiresAt:O}",
                    request.RegistrationId, challenge.Id, newAk: akName));
                unit.Commit();
            }

            _openByRegistration[challenge.RegistrationId] = challenge;
            _log.LogInformation("Challenge {ChallengeId} issued to node {Node} ({Hostname}), EK trusted by {EkTrust}",
                challenge.Id, tpmHash, request.Hostname, trust);
            return new RegistrationOutcome(ToChallenge(challenge), null);
        }
    }

    /// <summary>Handles a CredentialProof.</summary>
    /// <exception cref="MessageValidationException">A field is missing or the proof has the wrong size.</exception>
    public ProofOutcome Prove(CredentialProof proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (proof.TpmHash is null || !IsTpmHashShape(proof.TpmHash))
        {
            throw new MessageValidationException("CredentialProof.TpmHash must be 64 lowercase hex characters");
        }

        if (proof.Proof is null || proof.Proof.Length != CredentialProofMac.Length)
        {
            throw new MessageValidationException($"CredentialProof.Proof must be {CredentialProofMac.Length} bytes (HMAC-SHA256), got {proof.Proof?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}");
        }

        if (proof.ChallengeId == Guid.Empty)
        {
            throw new MessageValidationException("CredentialProof.ChallengeId is missing");
        }

        // A challenge of another TPM hash, or none: refused before any lock or write.
        if (_store.FindChallenge(proof.ChallengeId) is not { } seen || !string.Equals(seen.TpmHash, proof.TpmHash, StringComparison.Ordinal))
        {
            return RejectProof(proof, EnrolmentRejectionReasons.ChallengeUnknown, "no such challenge was issued to this TPM hash");
        }

        byte[] proofHash = SHA256.HashData(proof.Proof);
        ProofStep step;
        using (IRegistrarUnit unit = _store.BeginNode(seen.TpmHash))
        {
            step = ProveInUnit(unit, proof, proofHash);
        }

        // This process's memory, once the unit ended (see the remarks: never the process lock inside a unit).
        if (step.Used is { } used)
        {
            lock (_gate)
            {
                Close(used);
                if (step.Enrolled is { } enrolledNode)
                {
                    _enrolled.Add(enrolledNode.TpmHash);
                    _enrolmentsPerHash.Record(enrolledNode.TpmHash);
                }
            }
        }

        if (step.Enrolled is { } node)
        {
            _metrics.CountEnrolment();
            _log.LogInformation("Node {Node} ({Hostname}) enrolled with AK {AkName}", node.TpmHash, node.Hostname, Convert.ToHexStringLower(node.AkName));
        }

        return step.Outcome;
    }

    /// <summary>The proof's read-modify-write, in the unit of the challenge's node.</summary>
    private ProofStep ProveInUnit(IRegistrarUnit unit, CredentialProof proof, byte[] proofHash)
    {
        DateTimeOffset now = _time.GetUtcNow();

        // Read again under the node's lock: another proof (here or on another registrar) may have used it.
        if (unit.FindChallenge(proof.ChallengeId) is not { } challenge)
        {
            return new ProofStep(RejectProof(proof, EnrolmentRejectionReasons.ChallengeUnknown, "no such challenge was issued to this TPM hash"));
        }

        if (challenge.UsedAt is not null)
        {
            // Redelivery of the proof that already succeeded: answer (and publish) the same again.
            if (challenge.AcceptedProofHash is { } accepted && CryptographicOperations.FixedTimeEquals(accepted, proofHash)
                && challenge.EnrolledAt is { } enrolledAt)
            {
                return new ProofStep(new ProofOutcome(ToEnrolled(challenge, enrolledAt), null));
            }

            return new ProofStep(RejectProof(proof, EnrolmentRejectionReasons.ChallengeUnknown, "the challenge was already used"));
        }

        // LiteDB returns stored DateTimes in local time: compare in UTC.
        bool expired = now.UtcDateTime >= challenge.ExpiresAt.ToUniversalTime();
        bool valid = !expired && CredentialProofMac.Verify(challenge.Secret, challenge.TpmHash, challenge.Id, proof.Proof);

        // Single use either way: a wrong proof burns the challenge, so it cannot be guessed at.
        challenge.UsedAt = now.UtcDateTime;
        challenge.Secret = [];
        if (!valid)
        {
            (string reason, string detail) = expired
                ? (EnrolmentRejectionReasons.ChallengeExpired, $"the challenge expired at {challenge.ExpiresAt:O}")
                : (EnrolmentRejectionReasons.ProofInvalid, "the proof does not match: the AK is not in the TPM of this EK (credential activation failed)");
            unit.PutChallenge(challenge);
            unit.AddAudit(NewAudit(challenge.TpmHash, AuditEvents.Rejected, detail, null, proof.ChallengeId, reasonCode: reason));
            return TryCommit(unit, proof)
                ? new ProofStep(RejectProof(proof, reason, detail), challenge)
                : new ProofStep(RejectProof(proof, EnrolmentRejectionReasons.ChallengeUnknown, "the challenge was already used"));
        }

        challenge.AcceptedProofHash = proofHash;
        challenge.EnrolledAt = now.UtcDateTime;
        unit.PutChallenge(challenge);

        NodeRecord node = unit.Node ?? new NodeRecord { TpmHash = challenge.TpmHash, CreatedAt = now.UtcDateTime };
        byte[] oldAk = node.AkName;
        bool akChanged = node.State == NodeState.Enrolled && !oldAk.AsSpan().SequenceEqual(challenge.AkName);
        node.EkPublic = challenge.EkPublic;
        node.EkCertificate = challenge.EkCertificate;
        node.EkTrust = challenge.EkTrust;
        node.AkPublic = challenge.AkPublic;
        node.AkName = challenge.AkName;
        node.Hostname = challenge.Hostname;
        node.State = NodeState.Enrolled;
        node.EnrolledAt = now.UtcDateTime;
        node.UpdatedAt = now.UtcDateTime;
        unit.SaveNode(node);
        if (akChanged)
        {
            unit.AddAudit(NewAudit(node.TpmHash, AuditEvents.AkChanged, "a new AK was proven by credential activation and replaces the enrolled one",
                null, challenge.Id, oldAk: oldAk, newAk: challenge.AkName));
        }

        unit.AddAudit(NewAudit(node.TpmHash, AuditEvents.Enrolled, $"credential activation proven; host '{challenge.Hostname}'", challenge.RegistrationId, challenge.Id, newAk: challenge.AkName));
        return TryCommit(unit, proof)
            ? new ProofStep(new ProofOutcome(ToEnrolled(challenge, now.UtcDateTime), null), challenge, node)
            : new ProofStep(RejectProof(proof, EnrolmentRejectionReasons.ChallengeUnknown, "the challenge was already used"));
    }

    /// <summary>
    /// Adds the rejections counted since the last report to the store's counters (one document per
    /// reason code) and logs them as one summary line; then the next
    /// <see cref="RejectionsLoggedPerInterval"/> rejections are logged one by one again. Called every
    /// <see cref="RegistrarOptions.RejectionReportInterval"/> and when the service stops. Nothing is
    /// written or logged when nothing was rejected.
    /// </summary>
    public void ReportRejections()
    {
        lock (_gate)
        {
            DateTimeOffset now = _time.GetUtcNow();
            var since = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach ((string reason, long total) in _metrics.RejectionsByReason())
            {
                long n = total - _reported.GetValueOrDefault(reason);
                if (n > 0)
                {
                    since[reason] = n;
                }
            }

            // Stored first: when the store fails, these counts are reported again the next time.
            if (since.Count > 0)
            {
                _store.AddRejections(since, now.UtcDateTime);
                foreach ((string reason, long n) in since)
                {
                    _reported[reason] = _reported.GetValueOrDefault(reason) + n;
                }
            }

            long notLogged;
            DateTimeOffset from;
            lock (_logGate)
            {
                notLogged = _rejectionsNotLogged;
                from = _reportedAt;
                _rejectionsLogged = 0;
                _rejectionsNotLogged = 0;
                _reportedAt = now;
            }

            if (since.Count == 0)
            {
                return;
            }

            _log.LogWarning("{Rejected} enrolment requests rejected since {Since:O} ({Counts}); {NotLogged} of them were not logged one by one",
                since.Values.Sum(), from, string.Join(", ", since.Select(r => $"{r.Key}={r.Value}")), notLogged);
        }
    }

    private static void ValidateShape(RegisterNode r)
    {
        if (r.TpmHash is null || !IsTpmHashShape(r.TpmHash))
        {
            throw new MessageValidationException("RegisterNode.TpmHash must be 64 lowercase hex characters");
        }

        CheckBytes(r.EkPublic, nameof(RegisterNode.EkPublic), MaxPublicAreaSize);
        CheckBytes(r.AkPublic, nameof(RegisterNode.AkPublic), MaxPublicAreaSize);
        if (r.EkCertificate is { Length: 0 or > MaxCertificateSize })
        {
            throw new MessageValidationException($"RegisterNode.EkCertificate must be 1..{MaxCertificateSize} bytes when present");
        }

        if (r.Hostname is null || r.Hostname.Length > MaxHostnameLength)
        {
            throw new MessageValidationException($"RegisterNode.Hostname is missing or longer than {MaxHostnameLength} characters");
        }

        if (r.RegistrationId == Guid.Empty)
        {
            throw new MessageValidationException("RegisterNode.RegistrationId is missing");
        }
    }

    private static void CheckBytes(byte[]? value, string field, int max)
    {
        if (value is null || value.Length == 0)
        {
            throw new MessageValidationException($"RegisterNode.{field} is missing");
        }

        if (value.Length > max)
        {
            throw new MessageValidationException($"RegisterNode.{field} is {value.Length} bytes, more than {max}");
        }
    }

    private static bool IsTpmHashShape(string s) =>
        s.Length == 64 && s.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    private static TpmtPublic ParsePublic(byte[] bytes, string field)
    {
        try
        {
            return TpmtPublic.Parse(bytes);
        }
        catch (TpmFormatException e)
        {
            // No inner exception: MassTransit's fault headers carry the innermost exception's message,
            // and the field name must reach the error queue.
            throw new MessageValidationException($"RegisterNode.{field} is not a TPMT_PUBLIC: {e.Message}");
        }
    }

    /// <summary>
    /// The EK trust decision: a trusted certificate; or, with RequireEkCertificate=false, an
    /// allow-listed TPM hash. A certificate that certifies another key is refused even then.
    /// </summary>
    private (string? Trust, string? Reason, string Detail) DecideEkTrust(byte[]? certificate, string tpmHash)
    {
        EkCertificateVerdict? verdict = certificate is null ? null : _certificates.Validate(certificate, tpmHash);
        if (verdict is { Trusted: true })
        {
            return (EkTrustMethods.Certificate, null, verdict.Detail);
        }

        if (verdict is { ReasonCode: EnrolmentRejectionReasons.EkCertificateKeyMismatch })
        {
            return (null, verdict.ReasonCode, verdict.Detail);
        }

        if (!_options.RequireEkCertificate && _allowed.Contains(tpmHash))
        {
            return (EkTrustMethods.AllowList, null,
                verdict is null ? "no EK certificate; TPM hash allow-listed" : $"TPM hash allow-listed ({verdict.Detail})");
        }

        return verdict is null
            ? (null, EnrolmentRejectionReasons.EkCertificateMissing, NoCertificateDetail())
            : (null, verdict.ReasonCode, verdict.Detail);
    }

    private string NoCertificateDetail() => _options.RequireEkCertificate
        ? "an EK certificate is required (Registrar:RequireEkCertificate=true)"
        : "no EK certificate and the TPM hash is not in Registrar:AllowedTpmHashes";

    private RegistrationOutcome RejectRegistration(string tpmHash, string reason, string detail, RegisterNode request)
    {
        Reject(tpmHash, reason, detail);
        return new RegistrationOutcome(null, new EnrolmentRejected(tpmHash, reason, detail, null));
    }

    private ProofOutcome RejectProof(CredentialProof proof, string reason, string detail)
    {
        Reject(proof.TpmHash, reason, detail);
        return new ProofOutcome(null, new EnrolmentRejected(proof.TpmHash, reason, detail, proof.ChallengeId));
    }

    /// <summary>
    /// Counts a rejection and logs it (one by one up to <see cref="RejectionsLoggedPerInterval"/> per
    /// report interval, then at debug level only). Never audited here: the callers audit, in the
    /// proof's unit, only what happens at most once per issued challenge.
    /// </summary>
    private void Reject(string tpmHash, string reason, string detail)
    {
        _metrics.CountRejection(reason);
        LogLevel level = LogLevel.Debug;
        lock (_logGate)
        {
            if (_rejectionsLogged < RejectionsLoggedPerInterval)
            {
                _rejectionsLogged++;
                level = LogLevel.Warning;
            }
            else
            {
                _rejectionsNotLogged++;
            }
        }

        using (_log.BeginScope(new Dictionary<string, object?> { ["node"] = tpmHash, ["reason"] = reason }))
        {
            _log.Log(level, "Enrolment of node {Node} rejected ({ReasonCode}): {Detail}", tpmHash, reason, detail);
        }
    }

    /// <summary>Commits a proof's unit; false when another unit consumed the challenge first (nothing written).</summary>
    private bool TryCommit(IRegistrarUnit unit, CredentialProof proof)
    {
        try
        {
            unit.Commit();
            return true;
        }
        catch (RegistrarStoreConflictException e)
        {
            _log.LogWarning("Proof for challenge {ChallengeId} of node {Node} lost to another: {Conflict}", proof.ChallengeId, unit.TpmHash, e.Message);
            return false;
        }
    }

    private AuditEntry NewAudit(string tpmHash, string evt, string detail, Guid? registrationId, Guid? challengeId, byte[]? oldAk = null, byte[]? newAk = null, string? reasonCode = null) => new()
    {
        At = _time.GetUtcNow().UtcDateTime,
        TpmHash = tpmHash,
        Event = evt,
        ReasonCode = reasonCode,
        Detail = detail,
        RegistrationId = registrationId,
        ChallengeId = challengeId,
        OldAkName = oldAk is { Length: > 0 } ? Convert.ToHexStringLower(oldAk) : null,
        NewAkName = newAk is { Length: > 0 } ? Convert.ToHexStringLower(newAk) : null,
    };

    private void PurgeOccasionally(DateTimeOffset now)
    {
        if (now - _lastPurge < TimeSpan.FromMinutes(1))
        {
            return;
        }

        _lastPurge = now;
        _store.PurgeChallenges(now.UtcDateTime, KeepUsedChallenges);
        _enrolled.UnionWith(_store.ListEnrolledTpmHashes());
        foreach (Guid registration in _openByRegistration.Where(o => o.Value.ExpiresAt.ToUniversalTime() <= now.UtcDateTime).Select(o => o.Key).ToList())
        {
            _openByRegistration.Remove(registration);
        }
    }

    /// <summary>A used challenge is no longer handed out again to a redelivered registration.</summary>
    private void Close(ChallengeRecord challenge)
    {
        if (_openByRegistration.TryGetValue(challenge.RegistrationId, out ChallengeRecord? open) && open.Id == challenge.Id)
        {
            _openByRegistration.Remove(challenge.RegistrationId);
        }
    }

    private static CredentialChallenge ToChallenge(ChallengeRecord c) =>
        new(c.Id, c.TpmHash, c.CredentialBlob, c.EncryptedSecret, new DateTimeOffset(DateTime.SpecifyKind(c.ExpiresAt.ToUniversalTime(), DateTimeKind.Utc)));

    private static NodeEnrolled ToEnrolled(ChallengeRecord c, DateTime enrolledAt) =>
        new(c.TpmHash, c.EkPublic, c.AkPublic, c.AkName, c.Hostname, new DateTimeOffset(DateTime.SpecifyKind(enrolledAt.ToUniversalTime(), DateTimeKind.Utc)));

    /// <summary>What a proof's unit decided: the answer, the challenge it used (to close in memory) and the node it enrolled.</summary>
    private sealed record ProofStep(ProofOutcome Outcome, ChallengeRecord? Used = null, NodeRecord? Enrolled = null);
}
