using System.Runtime.InteropServices;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Evidence;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Types;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Policies;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests;

/// <summary>Broken evidence vs policy violations, and each row of the selective-enrollment table.</summary>
[Trait("Category", "Unit")]
public sealed class PolicyTests : IDisposable
{
    private readonly PipelineHarness _h = new(new VerifierOptions { RelearnsPerDay = 2 });

    public void Dispose() => _h.Dispose();

    /// <summary>The log with one byte of the sha256 digest of the first PCR <paramref name="pcr"/> event flipped.</summary>
    private static (byte[] Log, int EventIndex) EditedLog(int pcr)
    {
        byte[] log = (byte[])RealEvidence.EventLog.Clone();
        ParsedEventLog parsed = EventLogParser.Parse(log);
        UntrustedEvent e = parsed.UntrustedEvents.First(x => x.PcrIndex == (uint)pcr && x.EventType != TcgEventType.EV_NO_ACTION);
        Assert.True(e.TryGetDigest((ushort)TpmAlgId.Sha256, out ReadOnlyMemory<byte> digest));
        Assert.True(MemoryMarshal.TryGetArray(digest, out ArraySegment<byte> segment));
        log[segment.Offset] ^= 0xFF;
        return (log, e.Index);
    }

    [Fact]
    public void An_edited_log_event_is_broken_evidence_naming_the_pcr_and_event()
    {
        _h.Attest();
        (byte[] log, int index) = EditedLog(4);

        AttestationOutcome o = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), log: log));

        Assert.Equal(AttestationVerdicts.Fail, o.Result.Verdict);
        AttestationReason r = Assert.Single(o.Result.Reasons);
        Assert.Equal(AttestationReasonCodes.EventLogReplayMismatch, r.Code);
        Assert.Contains("PCR sha256:4", r.Message, StringComparison.Ordinal);
        NodeQuarantined q = Assert.IsType<NodeQuarantined>(o.Verdict);
        Assert.Equal([AttestationReasonCodes.EventLogReplayMismatch], q.ReasonCodes);
        PcrMismatch m = Assert.Single(q.FailingPcrs);
        Assert.Equal(("sha256", 4), (m.Bank, m.Index));
        Assert.Equal(Convert.ToHexStringLower(RealEvidence.Sha256Pcrs[4]), m.Actual);
        Assert.NotEqual(m.Actual, m.Expected);
        Assert.Equal(index, q.FirstBrokenEvent!.Index);
        Assert.Equal(4u, q.FirstBrokenEvent.Pcr);
        Assert.Equal(NodeStates.Trusted, q.PreviousState);
        Assert.Equal(NodeStates.Quarantined, _h.Record.State);
    }

    [Fact]
    public void Valid_evidence_with_other_values_is_a_policy_violation_with_a_distinct_code()
    {
        _h.Attest();
        string zero = new('0', 64);
        _h.Store.SetPcrPolicy(_h.TpmHash, "sha256", 4, PolicyModes.Enforce, zero, "alice", _h.Now);

        AttestationOutcome o = _h.Attest(withLog: false);

        AttestationReason r = Assert.Single(o.Result.Reasons);
        Assert.Equal(AttestationReasonCodes.PcrPolicyViolation, r.Code);
        Assert.Contains("sha256:4", r.Message, StringComparison.Ordinal);
        NodeQuarantined q = Assert.IsType<NodeQuarantined>(o.Verdict);
        PcrMismatch m = Assert.Single(q.FailingPcrs);
        Assert.Equal(zero, m.Expected);
        Assert.Equal(Convert.ToHexStringLower(RealEvidence.Sha256Pcrs[4]), m.Actual);
        Assert.NotEqual(AttestationReasonCodes.EventLogReplayMismatch, r.Code);

        // Quarantined again: no second event (state did not change).
        Assert.Null(_h.Attest(withLog: false).Verdict);
    }

    [Fact]
    public void A_policy_violation_names_the_first_event_that_differs_from_the_last_passing_log()
    {
        (byte[] edited, int index) = EditedLog(4);
        var context = new PolicyContext
        {
            Node = new NodeAttestation(),
            EnrolledAkName = _h.AkName,
            QuotedPcrs = new Dictionary<string, IReadOnlyDictionary<int, byte[]>>(),
            Log = EvidenceVerifier.SelfReplay(EventLogParser.Parse(RealEvidence.EventLog)).Log,
            ReferenceLog = EventLogParser.Parse(edited),
            Now = _h.Now,
        };
        BrokenEvent e = PcrSelectiveEnrollmentPolicy.FirstDifferingEvent(context, "sha256", 4)!;
        Assert.Equal(index, e.Index);
        Assert.Null(PcrSelectiveEnrollmentPolicy.FirstDifferingEvent(context, "sha256", 7));
    }

    [Fact]
    public void Learn_mode_accepts_the_value_stores_it_and_audits_old_and_new()
    {
        _h.Attest();
        string zero = new('0', 64);
        _h.Store.SetPcrPolicy(_h.TpmHash, "sha256", 0, PolicyModes.Enforce, zero, "alice", _h.Now);
        _h.Store.SetPcrPolicy(_h.TpmHash, "sha256", 0, PolicyModes.Learn, null, "alice", _h.Now);

        AttestationOutcome o = _h.Attest(withLog: false);

        Assert.Equal(AttestationVerdicts.Pass, o.Result.Verdict);
        string actual = Convert.ToHexStringLower(RealEvidence.Sha256Pcrs[0]);
        PcrPolicyRecord entry = _h.Record.Pcrs!.Single(p => p.Bank == "sha256" && p.Index == 0);
        Assert.Equal((PolicyModes.Enforce, actual), (entry.Mode, entry.Value));
        AuditRecord audit = _h.Store.Audit(_h.TpmHash).First(a => a.Actor == "verifier:learn");
        Assert.Equal(("pcr sha256:0", zero, actual), (audit.What, audit.OldValue, audit.NewValue));
        Assert.Contains(_h.Store.Audit(_h.TpmHash), a => a.Actor == "alice" && a.What == "pcr sha256:0" && a.NewValue == "\"\" (learn)");
    }

    [Fact]
    public void Relearning_is_rate_limited_per_node()
    {
        _h.Attest();
        for (int i = 0; i < 2; i++)
        {
            _h.Store.SetPcrPolicy(_h.TpmHash, "sha256", 0, PolicyModes.Learn, null, "alice", _h.Now);
            Assert.Equal(AttestationVerdicts.Pass, _h.Attest(withLog: false).Result.Verdict);
        }

        _h.Store.SetPcrPolicy(_h.TpmHash, "sha256", 0, PolicyModes.Learn, null, "alice", _h.Now);
        AttestationOutcome limited = _h.Attest(withLog: false);
        Assert.Equal(AttestationReasonCodes.RelearnRateLimited, Assert.Single(limited.Result.Reasons).Code);
        Assert.Equal(PolicyModes.Learn, _h.Record.Pcrs!.Single(p => p.Bank == "sha256" && p.Index == 0).Mode);

        // A day later the window has room again.
        _h.Time.Advance(TimeSpan.FromHours(24.1));
        Assert.Equal(AttestationVerdicts.Pass, _h.Attest(withLog: false).Result.Verdict);
    }

    [Fact]
    public void An_omitted_pcr_is_never_checked()
    {
        _h.Attest();
        _h.Store.SetPcrPolicy(_h.TpmHash, "sha256", 11, PolicyModes.Enforce, new string('1', 64), "alice", _h.Now);
        Assert.Equal(AttestationVerdicts.Fail, _h.Attest(withLog: false).Result.Verdict);

        _h.Store.SetPcrPolicy(_h.TpmHash, "sha256", 11, PolicyModes.Skip, null, "alice", _h.Now);
        Assert.Equal(PolicyModes.Skip, Assert.Single(_h.Record.Pcrs!, p => p.Bank == "sha256" && p.Index == 11).Mode);
        AttestationOutcome o = _h.Attest(withLog: false);
        Assert.Equal(AttestationVerdicts.Pass, o.Result.Verdict);
        NodeTrusted t = Assert.IsType<NodeTrusted>(o.Verdict);
        Assert.Equal(NodeStates.Quarantined, t.PreviousState);
    }

    [Fact]
    public void Operator_provisioned_record_with_learn_entries_learns_on_first_contact()
    {
        _h.Store.SetPcrPolicy(_h.TpmHash, "sha256", 7, PolicyModes.Learn, null, "alice", _h.Now);
        _h.Store.SetAkPolicy(_h.TpmHash, PolicyModes.Learn, "alice", _h.Now);

        Assert.Equal(AttestationVerdicts.Pass, _h.Attest().Result.Verdict);

        // PCR 7 learned as the operator asked, and every other quoted PCR by TOFU: a provisioned entry
        // does not switch TOFU off (it used to leave PCR 7 the only PCR ever checked).
        NodeAttestation rec = _h.Record;
        Assert.Equal(24, rec.Pcrs!.Count);
        Assert.All(rec.Pcrs, p => Assert.Equal((PolicyModes.Enforce, Convert.ToHexStringLower(RealEvidence.Sha256Pcrs[p.Index])), (p.Mode, p.Value)));
        Assert.False(rec.PcrTofuPending);
        Assert.Equal(PolicyModes.Enforce, rec.AkMode);
        Assert.Equal(_h.AkName, rec.AkName);
    }

    public static TheoryData<string> EntriesBeforeFirstContact => ["skip", "enforce", "learn", "secret", "ak-enforce"];

    [Theory]
    [MemberData(nameof(EntriesBeforeFirstContact))]
    public void An_operator_entry_made_before_the_first_attestation_leaves_TOFU_pending_and_every_other_PCR_is_learned(string entry)
    {
        switch (entry)
        {
            case "skip":
                _h.Store.SetPcrPolicy(_h.TpmHash, "sha256", 11, PolicyModes.Skip, null, "alice", _h.Now);
                break;
            case "enforce":
                _h.Store.SetPcrPolicy(_h.TpmHash, "sha256", 11, PolicyModes.Enforce, Convert.ToHexStringLower(RealEvidence.Sha256Pcrs[11]), "alice", _h.Now);
                break;
            case "learn":
                _h.Store.SetPcrPolicy(_h.TpmHash, "sha256", 11, PolicyModes.Learn, null, "alice", _h.Now);
                break;
            case "secret":
                _h.Store.SetSecret(_h.TpmHash, "COS_PERSISTENT", "provisioned"u8.ToArray(), "alice", _h.Now);
                break;
            default:
                _h.Store.SetAkPolicy(_h.TpmHash, PolicyModes.Enforce, "alice", _h.Now);
                break;
        }

        using KcryptPush.Verifier.Operator.SecretTransportKey key = KcryptPush.Verifier.Operator.SecretTransportKey.LoadOrCreate(KcryptPush.Verifier.Operator.SecretTransportKey.PathBeside(_h.DbPath));
        var ops = new KcryptPush.Verifier.Operator.NodeOperations(_h.Store, key, _h.Time);
        Assert.True(ops.Show(_h.TpmHash)!.PcrTofuPending);

        Assert.Equal(AttestationVerdicts.Pass, _h.Attest().Result.Verdict);
        Assert.False(ops.Show(_h.TpmHash)!.PcrTofuPending);
        Assert.Equal(PolicyModes.Enforce, _h.Record.AkMode);
        Assert.Equal(_h.AkName, _h.Record.AkName);

        // Every PCR but the operator's is now enforced: another boot application (PCR 4) quarantines.
        var pcrs = RealEvidence.Sha256Pcrs.ToDictionary(kv => kv.Key, kv => kv.Value);
        pcrs[4] = System.Security.Cryptography.SHA256.HashData(pcrs[4]);
        AttestationOutcome other = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), withLog: false, log: [.. RealEvidence.EventLog, 0], pcrs: pcrs));
        Assert.Equal([AttestationReasonCodes.PcrPolicyViolation], other.Result.Reasons.Select(r => r.Code));
        Assert.Contains("PCR sha256:4", other.Result.Reasons[0].Message, StringComparison.Ordinal);

        // A skipped PCR 11 is never checked; an enforced or learned one is.
        _h.Store.SetPcrPolicy(_h.TpmHash, "sha256", 4, PolicyModes.Learn, null, "alice", _h.Now);
        pcrs[11] = System.Security.Cryptography.SHA256.HashData(pcrs[11]);
        AttestationOutcome kernel = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), withLog: false, log: [.. RealEvidence.EventLog, 1], pcrs: pcrs));
        if (entry == "skip")
        {
            // The PCR policy passes on the signed values, so the verifier goes on to ask for the log.
            Assert.Equal((AttestationVerdicts.Retry, true), (kernel.Result.Verdict, kernel.Result.EventLogWanted));
        }
        else
        {
            Assert.Contains(kernel.Result.Reasons, r => r.Code == AttestationReasonCodes.PcrPolicyViolation && r.Message.Contains("PCR sha256:11", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Enforced_ak_refuses_a_re_enrolled_ak_learn_accepts_it_skip_ignores_it()
    {
        _h.Attest();
        byte[] newName = (byte[])_h.AkName.Clone();
        newName[^1] ^= 1;
        NodeAttestation rec = _h.Record;
        rec.AkName = newName; // the policy's AK differs from the enrolled one, as after a re-enrolment
        _h.Store.Save(rec);

        AttestationOutcome enforced = _h.Attest(withLog: false);
        Assert.Equal(AttestationReasonCodes.AkMismatch, Assert.Single(enforced.Result.Reasons).Code);
        Assert.Contains("AK policy enforces", enforced.Result.Reasons[0].Message, StringComparison.Ordinal);

        _h.Store.SetAkPolicy(_h.TpmHash, PolicyModes.Learn, "alice", _h.Now);
        Assert.Equal(AttestationVerdicts.Pass, _h.Attest(withLog: false).Result.Verdict);
        Assert.Equal(_h.AkName, _h.Record.AkName);
        AuditRecord learned = _h.Store.Audit(_h.TpmHash).First(a => a.Actor == "verifier:learn" && a.What == "ak");
        Assert.Equal((Convert.ToHexStringLower(newName), Convert.ToHexStringLower(_h.AkName)), (learned.OldValue, learned.NewValue));

        rec = _h.Record;
        rec.AkName = newName;
        _h.Store.Save(rec);
        _h.Store.SetAkPolicy(_h.TpmHash, PolicyModes.Skip, "alice", _h.Now);
        Assert.Equal(AttestationVerdicts.Pass, _h.Attest(withLog: false).Result.Verdict);
    }
}
