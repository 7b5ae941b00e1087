using KcryptPush.Attestation.Evidence;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests;

/// <summary>The verification pipeline with the real GCE quote and log, in DESIGN.md's order.</summary>
[Trait("Category", "Unit")]
public sealed class PipelineTests : IDisposable
{
    private readonly PipelineHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Unknown_log_digest_asks_for_the_log_without_judging()
    {
        AttestationOutcome o = _h.Attest(withLog: false);

        Assert.Equal(AttestationVerdicts.Retry, o.Result.Verdict);
        Assert.True(o.Result.EventLogWanted);
        Assert.NotNull(o.Result.NextChallenge);
        Assert.Null(o.Verdict);
        Assert.Equal(NodeStates.Pending, _h.Record.State);
    }

    [Fact]
    public void First_pass_is_trust_on_first_use_then_steady_state_needs_only_the_digest()
    {
        AttestationOutcome first = _h.Attest();

        Assert.Equal(AttestationVerdicts.Pass, first.Result.Verdict);
        Assert.Empty(first.Result.Reasons);
        NodeTrusted trusted = Assert.IsType<NodeTrusted>(first.Verdict);
        Assert.Equal(NodeStates.Pending, trusted.PreviousState);
        NodeAttestation rec = _h.Record;
        Assert.Equal(NodeStates.Trusted, rec.State);
        Assert.Equal(24, rec.Pcrs!.Count);
        Assert.All(rec.Pcrs, p => Assert.Equal(PolicyModes.Enforce, p.Mode));
        Assert.Equal(Convert.ToHexStringLower(RealEvidence.Sha256Pcrs[7]), rec.Pcrs.Single(p => p.Bank == "sha256" && p.Index == 7).Value);
        Assert.Equal(PolicyModes.Enforce, rec.AkMode);
        Assert.Equal(_h.AkName, rec.AkName);
        Assert.Contains(_h.Store.Audit(_h.TpmHash), a => a.Actor == "verifier:tofu" && a.What == "pcr policy");
        Assert.Contains(_h.Store.Audit(_h.TpmHash), a => a.Actor == "verifier:tofu" && a.What == "ak");

        AttestationOutcome second = _h.Attest(withLog: false);
        Assert.Equal(AttestationVerdicts.Pass, second.Result.Verdict);
        Assert.False(second.Result.EventLogWanted);
        Assert.Null(second.Verdict); // no state change, no event
        Assert.Equal(2, _h.Record.AttestationsPassed);
        Assert.Equal(2, _h.Store.History(_h.TpmHash).Count);
    }

    [Fact]
    public void Next_challenge_rides_on_the_result_and_is_stored()
    {
        Challenge next = _h.Attest().Result.NextChallenge!;
        ChallengeRecord stored = _h.Store.FindChallenge(next.ChallengeId)!;
        Assert.Equal(_h.TpmHash, stored.TpmHash);
        Assert.Equal(next.Nonce, stored.Nonce);
        Assert.Equal(32, next.Nonce.Length);
        Assert.Equal(["sha1", "sha256"], next.Selection.Select(s => s.Bank));
        Assert.All(next.Selection, s => Assert.Equal(Enumerable.Range(0, 24), s.Pcrs));
        Assert.Equal(_h.Time.GetUtcNow() + TimeSpan.FromSeconds(120), next.ExpiresAt);
    }

    [Fact]
    public void A_forged_signature_does_not_use_up_the_nodes_challenge()
    {
        Guid c = _h.Challenge();
        QuoteSubmitted genuine = _h.Quote(c);
        byte[] forged = (byte[])genuine.Signature.Clone();
        forged[^1] ^= 1;

        AttestationOutcome rejected = _h.Pipeline.Evaluate(genuine with { Signature = forged });
        Assert.Equal(AttestationReasonCodes.SignatureInvalid, Assert.Single(rejected.Result.Reasons).Code);

        Assert.Equal(AttestationVerdicts.Pass, _h.Pipeline.Evaluate(genuine).Result.Verdict);
        AttestationOutcome second = _h.Pipeline.Evaluate(genuine with { Hostname = "other" });
        Assert.Equal(AttestationReasonCodes.ChallengeReused, Assert.Single(second.Result.Reasons).Code);
    }

    [Fact]
    public void A_redelivered_message_gets_the_same_result_and_a_different_one_is_a_reused_challenge()
    {
        Guid c = _h.Challenge();
        QuoteSubmitted q = _h.Quote(c);
        AttestationOutcome first = _h.Pipeline.Evaluate(q);
        AttestationOutcome again = _h.NewPipeline().Evaluate(q);

        Assert.Equal(AttestationVerdicts.Pass, again.Result.Verdict);
        Assert.Equal(first.Result.NextChallenge!.ChallengeId, again.Result.NextChallenge!.ChallengeId);
        Assert.Null(again.Verdict);
        Assert.Equal(1, _h.Record.AttestationsPassed);

        AttestationOutcome replay = _h.Pipeline.Evaluate(_h.Quote(c, withLog: false));
        Assert.Equal(AttestationVerdicts.Fail, replay.Result.Verdict);
        Assert.Equal(AttestationReasonCodes.ChallengeReused, Assert.Single(replay.Result.Reasons).Code);
        Assert.Equal(NodeStates.Trusted, _h.Record.State); // a replay cannot quarantine the node
    }

    [Fact]
    public void Unknown_node_is_refused_without_a_next_challenge()
    {
        string other = new('a', 64);
        AttestationOutcome o = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), tpmHash: other));
        Assert.Equal(AttestationReasonCodes.NodeUnknown, Assert.Single(o.Result.Reasons).Code);
        Assert.Null(o.Result.NextChallenge);
    }

    [Fact]
    public void A_different_ak_name_is_an_ak_mismatch()
    {
        byte[] otherName = (byte[])_h.AkName.Clone();
        otherName[^1] ^= 1;
        AttestationOutcome o = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), akName: otherName));
        Assert.Equal(AttestationReasonCodes.AkMismatch, Assert.Single(o.Result.Reasons).Code);
        Assert.Null(o.Verdict);
        Assert.Null(_h.Store.Find(_h.TpmHash));   // nothing written for a message the node's AK did not sign
        Assert.Empty(_h.Store.History(_h.TpmHash));
    }

    [Fact]
    public void Another_nodes_challenge_is_unknown_to_this_node()
    {
        string other = new('b', 64);
        _h.Enrol(other, _h.AkName);
        AttestationOutcome o = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(tpmHash: other)));
        Assert.Equal(AttestationReasonCodes.ChallengeUnknown, Assert.Single(o.Result.Reasons).Code);

        AttestationOutcome never = _h.Pipeline.Evaluate(_h.Quote(Guid.NewGuid()));
        Assert.Equal(AttestationReasonCodes.ChallengeUnknown, Assert.Single(never.Result.Reasons).Code);
    }

    [Fact]
    public void An_expired_challenge_is_refused()
    {
        Guid c = _h.Challenge(validFor: TimeSpan.FromSeconds(120));
        _h.Time.Advance(TimeSpan.FromSeconds(121));
        AttestationOutcome o = _h.Pipeline.Evaluate(_h.Quote(c));
        Assert.Equal(AttestationReasonCodes.ChallengeExpired, Assert.Single(o.Result.Reasons).Code);
        Assert.Null(o.Result.NextChallenge);   // a refusal issues nothing: the agent asks for a new challenge
    }

    [Fact]
    public void A_quote_over_another_nonce_is_a_nonce_mismatch_and_moves_no_state()
    {
        AttestationOutcome o = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), signedNonce: [0x90, 0x10]));
        Assert.Equal(AttestationVerdicts.Fail, o.Result.Verdict);
        Assert.Contains(o.Result.Reasons, r => r.Code == AttestationReasonCodes.NonceMismatch);
        Assert.Null(o.Verdict);
        Assert.Null(_h.Store.Find(_h.TpmHash));
    }

    [Fact]
    public void A_forged_signature_is_refused()
    {
        QuoteSubmitted q = _h.Quote(_h.Challenge());
        byte[] sig = (byte[])q.Signature.Clone();
        sig[^1] ^= 1;
        AttestationOutcome o = _h.Pipeline.Evaluate(q with { Signature = sig });
        Assert.Equal(AttestationReasonCodes.SignatureInvalid, Assert.Single(o.Result.Reasons).Code);
        Assert.Null(o.Verdict);
    }

    [Fact]
    public void Altered_pcr_values_are_a_pcr_digest_mismatch()
    {
        var pcrs = RealEvidence.Sha256Pcrs.ToDictionary(kv => kv.Key, kv => kv.Value);
        pcrs[0] = new byte[32];
        QuoteSubmitted q = _h.Quote(_h.Challenge()) with { Pcrs = [new PcrBankValues("sha256", pcrs)] };
        AttestationOutcome o = _h.Pipeline.Evaluate(q);
        Assert.Equal(AttestationReasonCodes.PcrDigestMismatch, Assert.Single(o.Result.Reasons).Code);
    }

    [Fact]
    public void Clock_going_backwards_is_refused()
    {
        Assert.Equal(AttestationVerdicts.Pass, _h.Attest().Result.Verdict);
        NodeAttestation rec = _h.Record;
        rec.LastClock = (long)RealEvidence.Clock.Clock + 1;
        _h.Store.Save(rec);

        AttestationOutcome o = _h.Attest(withLog: false);
        AttestationReason r = Assert.Single(o.Result.Reasons);
        Assert.Equal(AttestationReasonCodes.ClockWentBackwards, r.Code);
        Assert.Contains("clock went backwards", r.Message, StringComparison.Ordinal);
        NodeQuarantined q = Assert.IsType<NodeQuarantined>(o.Verdict);
        Assert.Equal(NodeStates.Trusted, q.PreviousState);
    }

    [Fact]
    public void A_quote_over_a_challenge_issued_before_a_later_quote_was_accepted_is_not_a_clock_rollback()
    {
        // The agent's push loop and the kcrypt discovery call hold challenges at the same time; the
        // quote made later may arrive first. Only quotes accepted before a challenge was issued bound it.
        Assert.Equal(AttestationVerdicts.Pass, _h.Attest().Result.Verdict);
        Guid earlier = _h.Challenge();
        NodeAttestation rec = _h.Record;
        rec.LastClock = (long)RealEvidence.Clock.Clock + 1;   // a later quote, over another challenge, accepted meanwhile
        _h.Store.Save(rec);

        AttestationOutcome o = _h.Pipeline.Evaluate(_h.Quote(earlier));

        Assert.Equal(AttestationVerdicts.Pass, o.Result.Verdict);
        Assert.Equal((long)RealEvidence.Clock.Clock + 1, _h.Record.LastClock);   // the latest accepted clock stays
    }

    [Fact]
    public void An_issued_challenge_carries_the_latest_accepted_clock_as_its_floor()
    {
        Assert.Null(_h.Store.FindChallenge(new ChallengeIssuer(_h.Store, new VerifierOptions(), TimeProvider.System).Issue(_h.TpmHash).ChallengeId)!.ClockFloor);
        _h.Attest();

        Challenge issued = new ChallengeIssuer(_h.Store, new VerifierOptions(), TimeProvider.System).Issue(_h.TpmHash);

        ClockFloor floor = _h.Store.FindChallenge(issued.ChallengeId)!.ClockFloor!;
        Assert.Equal((long)RealEvidence.Clock.Clock, floor.Clock);
        Assert.Equal((long)RealEvidence.Clock.ResetCount, floor.ResetCount);
        Assert.Equal((long)RealEvidence.Clock.RestartCount, floor.RestartCount);
    }

    [Fact]
    public void Reset_count_going_backwards_is_refused()
    {
        _h.Attest();
        NodeAttestation rec = _h.Record;
        rec.LastResetCount = RealEvidence.Clock.ResetCount + 1;
        rec.LastClock = 0;
        _h.Store.Save(rec);
        AttestationOutcome o = _h.Attest(withLog: false);
        Assert.Contains("resetCount went backwards", Assert.Single(o.Result.Reasons).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_reset_count_is_a_reboot_recorded_in_history()
    {
        _h.Attest();
        NodeAttestation rec = _h.Record;
        rec.LastResetCount = RealEvidence.Clock.ResetCount - 1;
        _h.Store.Save(rec);
        Assert.Equal(AttestationVerdicts.Pass, _h.Attest(withLog: false).Result.Verdict);
        Assert.True(_h.Store.History(_h.TpmHash, 1).Single().Rebooted);
    }

    [Fact]
    public void Clock_rule_allows_a_lower_clock_after_a_disorderly_reset_only()
    {
        var floor = new Tpm.Structures.TpmsClockInfo(1000, 5, 2, Safe: false); // a challenge's floor (Safe is not read)
        Assert.Null(ClockCheck.Problem(floor, new Tpm.Structures.TpmsClockInfo(500, 6, 0, false)));
        Assert.NotNull(ClockCheck.Problem(floor, new Tpm.Structures.TpmsClockInfo(500, 6, 0, true)));
        Assert.NotNull(ClockCheck.Problem(floor, new Tpm.Structures.TpmsClockInfo(2000, 5, 1, true)));
        Assert.Null(ClockCheck.Problem(floor, new Tpm.Structures.TpmsClockInfo(2000, 5, 3, true)));
    }

    [Fact]
    public void Log_bytes_not_matching_the_named_digest_are_refused()
    {
        QuoteSubmitted q = _h.Quote(_h.Challenge());
        byte[] digest = (byte[])q.EventLogSha256.Clone();
        digest[0] ^= 1;
        AttestationOutcome o = _h.Pipeline.Evaluate(q with { EventLogSha256 = digest });
        Assert.Equal(AttestationReasonCodes.EventLogDigestMismatch, Assert.Single(o.Result.Reasons).Code);
    }

    [Fact]
    public void A_truncated_log_is_malformed_or_does_not_replay()
    {
        byte[] truncated = RealEvidence.EventLog[..(RealEvidence.EventLog.Length - 10)];
        AttestationOutcome o = _h.Pipeline.Evaluate(_h.Quote(_h.Challenge(), log: truncated));
        Assert.Equal(AttestationReasonCodes.EventLogMalformed, Assert.Single(o.Result.Reasons).Code);
        Assert.Contains("byte offset", o.Result.Reasons[0].Message, StringComparison.Ordinal);
    }
}
