using System.Security.Cryptography;
using System.Text;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Store;
using KcryptPush.Verifier.Verdicts;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// The evidence binding (extraData = SHA-256(nonce ‖ log digest ‖ release key Name)), the release key
/// check, withheld logs and "no sealed secret at rest", on the pipeline: a message that contradicts what
/// the AK signed is answered and changes nothing; a signed, consistent one moves the node.
/// </summary>
[Trait("Category", "Unit")]
public sealed class EvidenceBindingPipelineTests : IDisposable
{
    private const string Label = "COS_PERSISTENT";
    private readonly PipelineHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static readonly byte[] EditedLog = EditLog();

    private static byte[] EditLog()
    {
        byte[] log = (byte[])RealEvidence.EventLog.Clone();
        log[^1] ^= 0x01; // inside the last event's data: still parses, digest changes
        return log;
    }

    // Nothing of the node was written: no record (or the same one), no history, no audit, and the
    // challenge is still unclaimed.
    private void AssertNothingWritten(Guid challenge, NodeAttestation? before, int historyBefore)
    {
        NodeAttestation? after = _h.Store.Find(_h.TpmHash);
        Assert.Equal(before?.State, after?.State);
        Assert.Equal(before?.LastAttestationAt, after?.LastAttestationAt);
        Assert.Equal(before?.LastVerdict, after?.LastVerdict);
        Assert.Equal(before?.LastEvidenceAt, after?.LastEvidenceAt);
        Assert.Equal(historyBefore, _h.Store.History(_h.TpmHash).Count);
        Assert.Null(_h.Store.FindChallenge(challenge)!.UsedAt);
    }

    public static TheoryData<string> Forgeries => ["pcr", "log-bytes", "log-and-digest", "key-added", "key-swapped", "nonce"];

    [Theory]
    [MemberData(nameof(Forgeries))]
    public void A_copy_contradicting_what_the_AK_signed_is_refused_without_any_write_and_the_genuine_message_then_passes(string forgery)
    {
        _h.Store.SetSecret(_h.TpmHash, Label, "hunter2"u8.ToArray(), "alice", _h.Now);
        Guid c = _h.Challenge();
        bool discovery = forgery == "key-swapped";
        QuoteSubmitted genuine = _h.Quote(c, wanted: discovery ? [Label] : null);
        var pcrs = RealEvidence.Sha256Pcrs.ToDictionary(kv => kv.Key, kv => kv.Value);
        pcrs[7] = SHA256.HashData(pcrs[7]);
        (QuoteSubmitted copy, string code) = forgery switch
        {
            "pcr" => (genuine with { Pcrs = [new PcrBankValues("sha256", pcrs)] }, AttestationReasonCodes.PcrDigestMismatch),
            "log-bytes" => (genuine with { EventLog = EditedLog }, AttestationReasonCodes.EventLogDigestMismatch),
            "log-and-digest" => (genuine with { EventLog = EditedLog, EventLogSha256 = SHA256.HashData(EditedLog) }, AttestationReasonCodes.NonceMismatch),
            "key-added" => (genuine with { WantedSecrets = [Label], ReleaseKeyPublic = OtherReleaseKey(genuine) }, AttestationReasonCodes.ReleaseKeyMismatch),
            "key-swapped" => (genuine with { ReleaseKeyPublic = OtherReleaseKey(genuine) }, AttestationReasonCodes.NonceMismatch),
            _ => (_h.Quote(c, signedNonce: RandomNumberGenerator.GetBytes(32)), AttestationReasonCodes.NonceMismatch),
        };
        NodeAttestation? before = _h.Store.Find(_h.TpmHash);

        AttestationOutcome refused = _h.Pipeline.Evaluate(copy);

        Assert.Equal(AttestationVerdicts.Fail, refused.Result.Verdict);
        Assert.Equal([code], refused.Result.Reasons.Select(r => r.Code));
        Assert.Null(refused.Result.Secrets);
        Assert.Null(refused.Result.NextChallenge);
        Assert.Null(refused.Verdict);
        AssertNothingWritten(c, before, 0);

        AttestationOutcome passed = _h.Pipeline.Evaluate(genuine);
        Assert.Equal(AttestationVerdicts.Pass, passed.Result.Verdict);
        Assert.IsType<NodeTrusted>(passed.Verdict);
        Assert.Equal(discovery ? 1 : 0, passed.Result.Secrets?.Length ?? 0);
    }

    [Fact]
    public void A_copy_naming_another_log_than_the_signed_one_is_named_as_such_once_the_signed_log_is_known()
    {
        Assert.Equal(AttestationVerdicts.Pass, _h.Attest().Result.Verdict);
        Guid c = _h.Challenge();
        QuoteSubmitted genuine = _h.Quote(c, withLog: false);
        NodeAttestation before = _h.Record;
        int history = _h.Store.History(_h.TpmHash).Count;

        AttestationOutcome o = _h.Pipeline.Evaluate(genuine with { EventLog = EditedLog, EventLogSha256 = SHA256.HashData(EditedLog) });

        Assert.Equal([AttestationReasonCodes.EventLogDigestMismatch], o.Result.Reasons.Select(r => r.Code));
        Assert.Contains(Convert.ToHexStringLower(RealEvidence.EventLogSha256), o.Result.Reasons[0].Message, StringComparison.Ordinal);
        AssertNothingWritten(c, before, history);
        Assert.Equal(AttestationVerdicts.Pass, _h.Pipeline.Evaluate(genuine).Result.Verdict);
    }

    [Fact]
    public void Only_a_signed_quote_over_another_selection_is_the_nodes_own_failure()
    {
        // Signed and consistent, but not what was asked: the node's evidence, so it quarantines.
        Guid c = _h.Challenge();
        ChallengeRecord record = _h.Store.FindChallenge(c)!;
        record.Selection = [new BankSelectionRecord { Bank = "sha256", Pcrs = [.. Enumerable.Range(0, 16)] }];
        _h.Store.UpdateChallenge(record);

        AttestationOutcome o = _h.Pipeline.Evaluate(_h.Quote(c));

        Assert.Equal([AttestationReasonCodes.PcrSelectionMismatch], o.Result.Reasons.Select(r => r.Code));
        Assert.IsType<NodeQuarantined>(o.Verdict);
    }

    public static TheoryData<string> BadKeys => ["userWithAuth", "other-pcrs", "other-reset", "rsa"];

    [Theory]
    [MemberData(nameof(BadKeys))]
    public void A_signed_release_key_not_bound_to_the_quoted_pcrs_and_boot_is_refused_and_quarantines(string bad)
    {
        _h.Store.SetSecret(_h.TpmHash, Label, "hunter2"u8.ToArray(), "alice", _h.Now);
        _h.Attest();
        var selection = TpmlPcrSelection.Create((TpmAlgId.Sha256, Enumerable.Range(0, 24)));
        byte[] values = ReleaseKeyPolicy.PcrValuesDigest(selection, (_, pcr) => RealEvidence.Sha256Pcrs[pcr])!;
        byte[] good = ReleaseKeyPolicy.Compute(selection, values, RealEvidence.Clock.ResetCount);
        TpmtPublic template = ReleaseKeyTemplate.Create(good);
        TpmtPublic key = bad switch
        {
            "userWithAuth" => Key(template, attributes: ReleaseKeyTemplate.Attributes | TpmaObject.UserWithAuth),
            "other-pcrs" => Key(template, policy: ReleaseKeyPolicy.Compute(selection, SHA256.HashData(values), RealEvidence.Clock.ResetCount)),
            "other-reset" => Key(template, policy: ReleaseKeyPolicy.Compute(selection, values, RealEvidence.Clock.ResetCount + 1)),
            _ => TpmtPublic.Parse(new TpmtPublic
            {
                Type = TpmAlgId.Rsa, NameAlg = TpmAlgId.Sha256, ObjectAttributes = ReleaseKeyTemplate.Attributes, AuthPolicy = good,
                KeyBits = 2048, Unique = RandomNumberGenerator.GetBytes(256),
            }.ToArray()),
        };

        AttestationOutcome o = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), withLog: false, wanted: [Label], releaseKey: key));

        Assert.Equal(AttestationVerdicts.Fail, o.Result.Verdict);
        Assert.Equal([AttestationReasonCodes.ReleaseKeyInvalid], o.Result.Reasons.Select(r => r.Code));
        Assert.Null(o.Result.Secrets);
        Assert.IsType<NodeQuarantined>(o.Verdict);
    }

    [Fact]
    public void The_secret_is_bound_to_the_release_key_and_the_database_holds_no_sealed_secret()
    {
        _h.Store.SetSecret(_h.TpmHash, Label, "hunter2"u8.ToArray(), "alice", _h.Now);
        _h.Attest();
        QuoteSubmitted discovery = _h.Quote(_h.Challenge(), withLog: false, wanted: [Label]);
        AttestationOutcome first = _h.Pipeline.Evaluate(discovery);
        SealedSecret s = Assert.Single(first.Result.Secrets!);

        // An identical redelivery is sealed afresh (new key, new ciphertext), never read back from storage.
        SealedSecret again = Assert.Single(_h.NewPipeline().Evaluate(discovery).Result.Secrets!);
        Assert.NotEqual(s.EncryptedSecret, again.EncryptedSecret);
        Assert.NotEqual(s.Ciphertext, again.Ciphertext);

        ChallengeRecord stored = _h.Store.FindChallenge(discovery.ChallengeId)!;
        Assert.DoesNotContain("secrets\":[", stored.ResultJson!, StringComparison.Ordinal);
        _h.Store.Dispose();
        byte[] db = [.. Directory.GetFiles(Path.GetDirectoryName(_h.DbPath)!).SelectMany(File.ReadAllBytes)];
        foreach (SealedSecret sealedSecret in new[] { s, again })
        {
            foreach (byte[] part in new[] { sealedSecret.CredentialBlob, sealedSecret.EncryptedSecret, sealedSecret.Ciphertext, sealedSecret.Nonce })
            {
                Assert.True(db.AsSpan().IndexOf(part) < 0, $"verifier.db holds {Convert.ToHexStringLower(part)}");
            }
        }
    }

    [Fact]
    public void A_node_that_answers_twice_without_the_wanted_log_is_quarantined_as_withholding_it()
    {
        Assert.Equal(AttestationVerdicts.Pass, _h.Attest().Result.Verdict);
        DateTime? evidenceAt = _h.Record.LastEvidenceAt;
        byte[] unknownLog = EditedLog; // names a digest the verifier does not hold, never sends it
        // (The harness quotes sha256 only, so each answer goes over a challenge of that selection
        // rather than over the result's next challenge, which asks for every bank.)

        _h.Time.Advance(TimeSpan.FromSeconds(1));
        AttestationOutcome asked = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), withLog: false, log: unknownLog));
        Assert.Equal((AttestationVerdicts.Retry, true), (asked.Result.Verdict, asked.Result.EventLogWanted));
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        AttestationOutcome once = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), withLog: false, log: unknownLog));
        Assert.Equal((AttestationVerdicts.Retry, true), (once.Result.Verdict, once.Result.EventLogWanted));
        Assert.Equal(evidenceAt, _h.Record.LastEvidenceAt);   // incomplete evidence is no evidence for the silence detector
        Assert.Equal(NodeStates.Trusted, _h.Record.State);

        _h.Time.Advance(TimeSpan.FromSeconds(1));
        AttestationOutcome twice = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), withLog: false, log: unknownLog));
        Assert.Equal([AttestationReasonCodes.EventLogWithheld], twice.Result.Reasons.Select(r => r.Code));
        Assert.Equal([AttestationReasonCodes.EventLogWithheld], Assert.IsType<NodeQuarantined>(twice.Verdict).ReasonCodes);
        Assert.Equal(evidenceAt, _h.Record.LastEvidenceAt);   // nor is the quarantine for it: the node still falls silent
    }

    [Fact]
    public void Sending_the_log_when_asked_resets_the_count()
    {
        _h.Attest();
        for (int i = 0; i < 3; i++)
        {
            AttestationOutcome asked = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), withLog: false, log: EditedLog));
            Assert.Equal(AttestationVerdicts.Retry, asked.Result.Verdict);
            AttestationOutcome sent = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), withLog: true));
            Assert.Equal(AttestationVerdicts.Pass, sent.Result.Verdict);
        }

        Assert.Equal(0, _h.Record.LogRequestsUnanswered);
        Assert.False(_h.Record.LogWanted);
    }

    [Fact]
    public void A_pcr_policy_violation_quarantines_on_the_signed_values_and_then_asks_for_the_log()
    {
        _h.Attest();
        DateTime? evidenceAt = _h.Record.LastEvidenceAt;
        var pcrs = RealEvidence.Sha256Pcrs.ToDictionary(kv => kv.Key, kv => kv.Value);
        pcrs[4] = SHA256.HashData(pcrs[4]);

        _h.Time.Advance(TimeSpan.FromSeconds(1));
        AttestationOutcome o = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), withLog: false, log: EditedLog, pcrs: pcrs));

        Assert.Equal([AttestationReasonCodes.PcrPolicyViolation], o.Result.Reasons.Select(r => r.Code));
        NodeQuarantined q = Assert.IsType<NodeQuarantined>(o.Verdict);
        Assert.Equal(("sha256", 4), (q.FailingPcrs.Single().Bank, q.FailingPcrs.Single().Index));
        // Quarantined without the log, which is asked for all the same; until it comes the evidence is
        // incomplete (no evidence for the silence detector).
        Assert.True(o.Result.EventLogWanted);
        Assert.True(_h.Record.LogWanted);
        Assert.Equal(evidenceAt, _h.Record.LastEvidenceAt);

        // The next message carries it: judged in full, complete evidence, so a node that keeps booting
        // this way stays Quarantined and is not reported Silent (no second verdict either).
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        AttestationOutcome withLog = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), withLog: true, log: EditedLog, pcrs: pcrs));
        Assert.Equal(AttestationVerdicts.Fail, withLog.Result.Verdict);
        Assert.False(withLog.Result.EventLogWanted);
        Assert.Null(withLog.Verdict);
        Assert.Equal(NodeStates.Quarantined, _h.Record.State);
        Assert.True(_h.Record.LastEvidenceAt > evidenceAt, $"{_h.Record.LastEvidenceAt:O} after {evidenceAt:O}");
        Assert.False(_h.Record.LogWanted);
    }

    [Fact]
    public void A_silent_node_whose_quote_violates_its_pcr_policy_without_the_log_stays_silent_until_the_log_is_judged()
    {
        _h.Attest();
        _h.Time.Advance(_h.Options.SilentIntervals * _h.Options.Interval + TimeSpan.FromSeconds(1));
        Assert.Single(new SilenceDetector(_h.Store, _h.Options, _h.Time).Scan());
        var pcrs = RealEvidence.Sha256Pcrs.ToDictionary(kv => kv.Key, kv => kv.Value);
        pcrs[4] = SHA256.HashData(pcrs[4]);

        // Incomplete evidence (no log) does not end the silence: no verdict, the log is asked for.
        AttestationOutcome o = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), withLog: false, log: EditedLog, pcrs: pcrs));
        Assert.Equal(AttestationVerdicts.Fail, o.Result.Verdict);
        Assert.Equal([AttestationReasonCodes.PcrPolicyViolation], o.Result.Reasons.Select(r => r.Code));
        Assert.True(o.Result.EventLogWanted);
        Assert.Null(o.Verdict);
        Assert.Null(o.Result.Secrets);
        Assert.Equal(NodeStates.Silent, _h.Record.State);

        // With the log: judged in full, Quarantined from Silent with the failing PCR.
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        AttestationOutcome full = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), withLog: true, log: EditedLog, pcrs: pcrs));
        NodeQuarantined q = Assert.IsType<NodeQuarantined>(full.Verdict);
        Assert.Equal(NodeStates.Silent, q.PreviousState);
        Assert.Equal(("sha256", 4), (q.FailingPcrs.Single().Bank, q.FailingPcrs.Single().Index));
        Assert.Equal(NodeStates.Quarantined, _h.Record.State);
    }

    [Fact]
    public void Secrets_asked_without_a_release_key_are_a_malformed_message()
    {
        QuoteSubmitted q = _h.Quote(_h.Challenge(), wanted: [Label]);
        Assert.Throws<Messaging.MessageValidationException>(() => _h.Pipeline.Evaluate(q with { ReleaseKeyPublic = null }));
        Assert.Throws<Messaging.MessageValidationException>(() => _h.Pipeline.Evaluate(q with { ReleaseKeyPublic = Encoding.ASCII.GetBytes("not a key") }));
    }

    private static byte[] OtherReleaseKey(QuoteSubmitted genuine)
    {
        TpmtPublic template = genuine.ReleaseKeyPublic is { } k ? TpmtPublic.Parse(k) : ReleaseKeyTemplate.Create(new byte[32]);
        return Key(template).ToArray();
    }

    // The template with a fresh P-256 point as unique (a key the TPM could have made), optionally changed.
    private static TpmtPublic Key(TpmtPublic template, TpmaObject? attributes = null, byte[]? policy = null)
    {
        using var ecc = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters p = ecc.ExportParameters(false);
        return TpmtPublic.Parse(new TpmtPublic
        {
            Type = template.Type, NameAlg = template.NameAlg, ObjectAttributes = attributes ?? template.ObjectAttributes,
            AuthPolicy = policy ?? template.AuthPolicy, Curve = template.Curve, UniqueX = p.Q.X!, UniqueY = p.Q.Y!,
        }.ToArray());
    }
}
