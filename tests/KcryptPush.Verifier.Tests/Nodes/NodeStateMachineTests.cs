using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Nodes;
using KcryptPush.Verifier.Policies;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests.Nodes;

/// <summary>
/// The node state machine as a table: every state × every event → the state after and the verdict
/// event published (or none), including the transitions that must not happen (Terminated is final, a
/// state that stays publishes nothing, incomplete evidence keeps a Silent node Silent); then the rules
/// inside the transitions (re-learn limit, log requests, operator hold, what is recorded).
/// </summary>
[Trait("Category", "Unit")]
public sealed class NodeStateMachineTests
{
    private const string Hash = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    private const string Host = "node-1";
    private const string Refused = "refused";
    private static readonly DateTime Now = new(2026, 12, 7, 20, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Earlier = Now.AddHours(-3);
    private static readonly byte[] Log = Enumerable.Repeat((byte)0xab, 32).ToArray();
    private static readonly AttestationReason PcrViolation = new(AttestationReasonCodes.PcrPolicyViolation, "PCR sha256:7 is not the enrolled value");
    private static readonly NodeStateMachine Machine = new(relearnsPerDay: 3);

    // The events of the table; a record hook sets what the event needs from the node (a log already asked for).
    private static readonly Dictionary<string, (NodeEvent Event, Action<NodeAttestation> Prepare)> Events = new()
    {
        ["pass"] = (new AttestationPassed(Log, [], Terminate: false), _ => { }),
        ["pass spending the budget"] = (new AttestationPassed(Log, [], Terminate: true), _ => { }),
        ["fail"] = (new AttestationFailed([PcrViolation], [], null), _ => { }),
        ["fail, incomplete evidence"] = (new AttestationFailed([PcrViolation], [], null, CompleteEvidence: false), _ => { }),
        ["log missing, first time"] = (new EventLogMissing(Log, [], []), _ => { }),
        ["log missing, withheld"] = (new EventLogMissing(Log, [], []), n => { n.LogWanted = true; n.LogRequestsUnanswered = 1; }),
        ["log missing, policy fails on signed values"] = (new EventLogMissing(Log, [PcrViolation], []), _ => { }),
        ["silence"] = (new SilenceDetected(5), _ => { }),
        ["operator quarantine"] = (new OperatorQuarantined("alice", "stolen laptop"), _ => { }),
        ["operator release"] = (new OperatorReleased("alice"), _ => { }),
    };

    /// <summary>state, event, state after (or <see cref="Refused"/>), verdict event type (or null).</summary>
    public static TheoryData<string, string, string, string?> Table => new()
    {
        { NodeStates.Pending, "pass", NodeStates.Trusted, nameof(NodeTrusted) },
        { NodeStates.Trusted, "pass", NodeStates.Trusted, null },
        { NodeStates.Quarantined, "pass", NodeStates.Trusted, nameof(NodeTrusted) },
        { NodeStates.Silent, "pass", NodeStates.Trusted, nameof(NodeTrusted) },
        { NodeStates.Terminated, "pass", Refused, null },

        { NodeStates.Pending, "pass spending the budget", NodeStates.Terminated, nameof(NodeTerminated) },
        { NodeStates.Trusted, "pass spending the budget", NodeStates.Terminated, nameof(NodeTerminated) },
        { NodeStates.Quarantined, "pass spending the budget", NodeStates.Terminated, nameof(NodeTerminated) },
        { NodeStates.Silent, "pass spending the budget", NodeStates.Terminated, nameof(NodeTerminated) },
        { NodeStates.Terminated, "pass spending the budget", Refused, null },

        { NodeStates.Pending, "fail", NodeStates.Quarantined, nameof(NodeQuarantined) },
        { NodeStates.Trusted, "fail", NodeStates.Quarantined, nameof(NodeQuarantined) },
        { NodeStates.Quarantined, "fail", NodeStates.Quarantined, null },
        { NodeStates.Silent, "fail", NodeStates.Quarantined, nameof(NodeQuarantined) },
        { NodeStates.Terminated, "fail", Refused, null },

        { NodeStates.Pending, "fail, incomplete evidence", NodeStates.Quarantined, nameof(NodeQuarantined) },
        { NodeStates.Trusted, "fail, incomplete evidence", NodeStates.Quarantined, nameof(NodeQuarantined) },
        { NodeStates.Quarantined, "fail, incomplete evidence", NodeStates.Quarantined, null },
        { NodeStates.Silent, "fail, incomplete evidence", NodeStates.Silent, null },
        { NodeStates.Terminated, "fail, incomplete evidence", Refused, null },

        { NodeStates.Pending, "log missing, first time", NodeStates.Pending, null },
        { NodeStates.Trusted, "log missing, first time", NodeStates.Trusted, null },
        { NodeStates.Quarantined, "log missing, first time", NodeStates.Quarantined, null },
        { NodeStates.Silent, "log missing, first time", NodeStates.Silent, null },
        { NodeStates.Terminated, "log missing, first time", Refused, null },

        { NodeStates.Pending, "log missing, withheld", NodeStates.Quarantined, nameof(NodeQuarantined) },
        { NodeStates.Trusted, "log missing, withheld", NodeStates.Quarantined, nameof(NodeQuarantined) },
        { NodeStates.Quarantined, "log missing, withheld", NodeStates.Quarantined, null },
        { NodeStates.Silent, "log missing, withheld", NodeStates.Silent, null },
        { NodeStates.Terminated, "log missing, withheld", Refused, null },

        { NodeStates.Pending, "log missing, policy fails on signed values", NodeStates.Quarantined, nameof(NodeQuarantined) },
        { NodeStates.Trusted, "log missing, policy fails on signed values", NodeStates.Quarantined, nameof(NodeQuarantined) },
        { NodeStates.Quarantined, "log missing, policy fails on signed values", NodeStates.Quarantined, null },
        { NodeStates.Silent, "log missing, policy fails on signed values", NodeStates.Silent, null },
        { NodeStates.Terminated, "log missing, policy fails on signed values", Refused, null },

        { NodeStates.Pending, "silence", NodeStates.Silent, nameof(NodeSilent) },
        { NodeStates.Trusted, "silence", NodeStates.Silent, nameof(NodeSilent) },
        { NodeStates.Quarantined, "silence", NodeStates.Silent, nameof(NodeSilent) },
        { NodeStates.Silent, "silence", NodeStates.Silent, null },
        { NodeStates.Terminated, "silence", Refused, null },

        { NodeStates.Pending, "operator quarantine", NodeStates.Quarantined, nameof(NodeQuarantined) },
        { NodeStates.Trusted, "operator quarantine", NodeStates.Quarantined, nameof(NodeQuarantined) },
        { NodeStates.Quarantined, "operator quarantine", NodeStates.Quarantined, null },
        { NodeStates.Silent, "operator quarantine", NodeStates.Quarantined, nameof(NodeQuarantined) },
        { NodeStates.Terminated, "operator quarantine", Refused, null },

        { NodeStates.Pending, "operator release", NodeStates.Pending, null },
        { NodeStates.Trusted, "operator release", NodeStates.Trusted, null },
        { NodeStates.Quarantined, "operator release", NodeStates.Pending, nameof(NodeReleased) },
        { NodeStates.Silent, "operator release", NodeStates.Silent, null },
        { NodeStates.Terminated, "operator release", Refused, null },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Every_state_and_event_moves_to_the_state_and_publishes_the_verdict_of_the_table(string state, string eventName, string expected, string? verdict)
    {
        NodeAttestation node = Node(state);
        (NodeEvent e, Action<NodeAttestation> prepare) = Events[eventName];
        prepare(node);

        NodeTransition t = Machine.Decide(node, Host, e, Now);

        Assert.Equal(state, t.From);
        if (expected == Refused)
        {
            Assert.True(t.Refused);
            Assert.True(t.WritesNothing);
            Assert.Equal(state, t.To);
            Assert.Null(t.Verdict);
            Assert.Empty(t.Audit);
            return;
        }

        Assert.False(t.Refused);
        Assert.Equal(expected, t.To);
        Assert.Equal(verdict, t.Verdict?.GetType().Name);
        if (t.Verdict is { } v)
        {
            Assert.Equal(Hash, v.TpmHash);
            Assert.Equal(expected, v.State);
        }

        // A state change is audited once, a state that stays not at all.
        NodeAudit[] stateAudits = t.Audit.Where(a => a.What == "state").ToArray();
        if (t.StateChanged)
        {
            NodeAudit a = Assert.Single(stateAudits);
            Assert.Equal((state, expected), (a.OldValue, a.NewValue));
            Assert.NotNull(t.Verdict);
        }
        else
        {
            Assert.Empty(stateAudits);
            Assert.Null(t.Verdict);
        }
    }

    [Fact]
    public void The_table_covers_every_state_and_every_event()
    {
        var covered = Table.Select(row => ((string)row[0], (string)row[1])).ToHashSet();
        string[] states = [NodeStates.Pending, NodeStates.Trusted, NodeStates.Quarantined, NodeStates.Silent, NodeStates.Terminated];
        Assert.All(states.SelectMany(s => Events.Keys.Select(e => (s, e))), pair => Assert.Contains(pair, covered));
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void Deciding_changes_nothing_in_the_record(string state, string eventName, string expected, string? verdict)
    {
        _ = (expected, verdict);
        NodeAttestation node = Node(state);
        (NodeEvent e, Action<NodeAttestation> prepare) = Events[eventName];
        prepare(node);
        string before = System.Text.Json.JsonSerializer.Serialize(node);

        _ = Machine.Decide(node, Host, e, Now);

        Assert.Equal(before, System.Text.Json.JsonSerializer.Serialize(node));
    }

    [Fact]
    public void A_pass_counts_records_the_log_as_reference_releases_secrets_and_asks_again()
    {
        NodeAttestation node = Node(NodeStates.Pending);
        node.AttestationsPassed = 4;
        PolicyChange tofu = new("verifier:tofu", "ak", null, "000b11", false, n => n.AkMode = PolicyModes.Enforce);

        NodeTransition t = Machine.Decide(node, Host, new AttestationPassed(Log, [tofu], false), Now);
        t.ApplyTo(node, Now);

        Assert.Equal((AttestationVerdicts.Pass, true, true), (t.AttestationVerdict, t.ReleaseSecrets, t.IssueChallenge));
        Assert.Equal(new NodeAudit("verifier:tofu", "ak", null, "000b11"), t.Audit[0]);
        Assert.Equal((NodeStates.Trusted, Now, 5, PolicyModes.Enforce), (node.State, node.StateSince, node.AttestationsPassed, node.AkMode));
        Assert.Equal(Log, node.AcceptedLogSha256);
        Assert.Equal((Now, Now, AttestationVerdicts.Pass), (node.LastEvidenceAt, node.LastAttestationAt, node.LastVerdict));
        Assert.Empty(node.Relearns); // trust on first use is no re-learn
    }

    [Fact]
    public void The_pass_that_spends_the_budget_terminates_without_secrets_or_a_next_challenge()
    {
        NodeAttestation node = Node(NodeStates.Trusted);
        node.AttestationsPassed = 9;

        NodeTransition t = Machine.Decide(node, Host, new AttestationPassed(Log, [], true), Now);

        NodeTerminated terminated = Assert.IsType<NodeTerminated>(t.Verdict);
        Assert.Equal((10, NodeStates.Trusted, Host), (terminated.Attestations, terminated.PreviousState, terminated.Hostname));
        Assert.Equal(AttestationVerdicts.Pass, t.AttestationVerdict);
        Assert.False(t.ReleaseSecrets);
        Assert.False(t.IssueChallenge);
    }

    [Fact]
    public void An_operator_hold_keeps_secrets_back_even_from_a_pass()
    {
        NodeAttestation node = Node(NodeStates.Quarantined);
        node.OperatorQuarantine = "alice: stolen laptop";

        NodeTransition t = Machine.Decide(node, Host, new AttestationPassed(Log, [], false), Now);

        Assert.False(t.ReleaseSecrets);
        Assert.False(t.Edits.HoldChanged); // only a release lifts it
    }

    [Fact]
    public void A_failure_quarantines_with_its_reasons_pcrs_and_first_event_and_asks_again()
    {
        NodeAttestation node = Node(NodeStates.Trusted);
        PcrMismatch pcr = new("sha256", 7, "aa", "bb");
        BrokenEvent first = new(3, 7, "EV_EFI_VARIABLE_AUTHORITY", "db changed");
        AttestationReason twice = PcrViolation with { Message = "again" };

        NodeTransition t = Machine.Decide(node, Host, new AttestationFailed([PcrViolation, twice], [pcr], first), Now);
        t.ApplyTo(node, Now);

        NodeQuarantined q = Assert.IsType<NodeQuarantined>(t.Verdict);
        Assert.Equal([AttestationReasonCodes.PcrPolicyViolation], q.ReasonCodes);
        Assert.Equal([PcrViolation, twice], q.Reasons);
        Assert.Equal([pcr], q.FailingPcrs);
        Assert.Equal(first, q.FirstBrokenEvent);
        Assert.Equal((NodeStates.Trusted, Host, new DateTimeOffset(Now)), (q.PreviousState, q.Hostname, q.At));
        Assert.Equal((AttestationVerdicts.Fail, true, false), (t.AttestationVerdict, t.IssueChallenge, t.EventLogWanted));
        Assert.Equal((Now, Now, AttestationVerdicts.Fail), (node.LastEvidenceAt, node.LastAttestationAt, node.LastVerdict));
    }

    [Fact]
    public void Incomplete_evidence_is_no_evidence_for_the_silence_detector()
    {
        NodeAttestation node = Node(NodeStates.Trusted);
        node.LastEvidenceAt = Earlier;

        NodeTransition t = Machine.Decide(node, Host, new AttestationFailed([PcrViolation], [], null, CompleteEvidence: false), Now);
        t.ApplyTo(node, Now);

        Assert.Equal((Earlier, Now), (node.LastEvidenceAt, node.LastAttestationAt));
    }

    [Fact]
    public void A_missing_log_is_asked_for_and_withheld_after_two_more_messages_without_it()
    {
        NodeAttestation node = Node(NodeStates.Trusted);
        node.LastEvidenceAt = Earlier;
        var missing = new EventLogMissing(Log, [], []);

        NodeTransition first = Machine.Decide(node, Host, missing, Now);
        first.ApplyTo(node, Now);
        Assert.Equal((AttestationVerdicts.Retry, true, true), (first.AttestationVerdict, first.EventLogWanted, first.IssueChallenge));
        Assert.Equal((true, 0, NodeStates.Trusted), (node.LogWanted, node.LogRequestsUnanswered, node.State));

        NodeTransition second = Machine.Decide(node, Host, missing, Now);
        second.ApplyTo(node, Now);
        Assert.Equal((AttestationVerdicts.Retry, 1, NodeStates.Trusted), (second.AttestationVerdict, node.LogRequestsUnanswered, node.State));

        NodeTransition third = Machine.Decide(node, Host, missing, Now);
        third.ApplyTo(node, Now);
        Assert.Equal(AttestationVerdicts.Fail, third.AttestationVerdict);
        AttestationReason withheld = Assert.Single(third.Reasons);
        Assert.Equal(AttestationReasonCodes.EventLogWithheld, withheld.Code);
        Assert.Contains("2 times", withheld.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(Log), withheld.Message, StringComparison.Ordinal);
        Assert.False(third.EventLogWanted);
        Assert.Equal((NodeStates.Quarantined, 2, Earlier), (node.State, node.LogRequestsUnanswered, node.LastEvidenceAt));
    }

    [Fact]
    public void A_policy_violation_on_the_signed_values_quarantines_and_still_asks_for_the_log()
    {
        NodeAttestation node = Node(NodeStates.Trusted);

        NodeTransition t = Machine.Decide(node, Host, new EventLogMissing(Log, [PcrViolation], []), Now);
        t.ApplyTo(node, Now);

        Assert.Equal((AttestationVerdicts.Fail, true), (t.AttestationVerdict, t.EventLogWanted));
        Assert.Equal((NodeStates.Quarantined, true, null), (node.State, node.LogWanted, node.LastEvidenceAt));
    }

    [Fact]
    public void A_relearn_over_the_daily_limit_fails_the_pass_and_learns_nothing()
    {
        NodeAttestation node = Node(NodeStates.Trusted);
        node.Relearns = [Now.AddDays(-2), Now.AddHours(-20), Now.AddHours(-10), Now.AddHours(-1)];
        bool applied = false;
        PolicyChange relearn = new("verifier:learn", "pcr sha256:7", "aa", "bb", true, _ => applied = true);

        NodeTransition t = Machine.Decide(node, Host, new AttestationPassed(Log, [relearn], false), Now);
        t.ApplyTo(node, Now);

        Assert.Equal(AttestationVerdicts.Fail, t.AttestationVerdict);
        AttestationReason r = Assert.Single(t.Reasons);
        Assert.Equal(AttestationReasonCodes.RelearnRateLimited, r.Code);
        Assert.Contains("pcr sha256:7 not learned", r.Message, StringComparison.Ordinal);
        Assert.False(applied);
        Assert.DoesNotContain(t.Audit, a => a.Actor == "verifier:learn");
        Assert.Equal(NodeStates.Quarantined, node.State);
        Assert.Equal([Now.AddHours(-20), Now.AddHours(-10), Now.AddHours(-1)], node.Relearns); // the older one pruned
        Assert.Equal(0, node.AttestationsPassed);
    }

    [Fact]
    public void A_relearn_under_the_limit_is_learned_audited_and_counted()
    {
        NodeAttestation node = Node(NodeStates.Trusted);
        node.Relearns = [Now.AddDays(-2), Now.AddHours(-20), Now.AddHours(-1)];
        bool applied = false;
        PolicyChange relearn = new("verifier:learn", "pcr sha256:7", "aa", "bb", true, _ => applied = true);

        NodeTransition t = Machine.Decide(node, Host, new AttestationPassed(Log, [relearn], false), Now);
        t.ApplyTo(node, Now);

        Assert.Equal(AttestationVerdicts.Pass, t.AttestationVerdict);
        Assert.True(applied);
        Assert.Equal(new NodeAudit("verifier:learn", "pcr sha256:7", "aa", "bb"), Assert.Single(t.Audit));
        Assert.Equal([Now.AddHours(-20), Now.AddHours(-1), Now], node.Relearns);
    }

    [Fact]
    public void Silence_reports_when_the_node_was_last_seen_and_for_how_many_intervals()
    {
        NodeAttestation node = Node(NodeStates.Trusted);
        node.LastEvidenceAt = Earlier;

        NodeSilent s = Assert.IsType<NodeSilent>(Machine.Decide(node, Host, new SilenceDetected(7), Now).Verdict);

        Assert.Equal((new DateTimeOffset(Earlier), 7, NodeStates.Trusted, new DateTimeOffset(Now)), (s.LastSeen, s.Intervals, s.PreviousState, s.At));
        node.LastEvidenceAt = null;
        Assert.Null(Assert.IsType<NodeSilent>(Machine.Decide(node, Host, new SilenceDetected(7), Now).Verdict).LastSeen);
    }

    [Fact]
    public void An_operator_quarantine_holds_the_node_audits_under_the_operator_and_says_why()
    {
        NodeAttestation node = Node(NodeStates.Trusted);

        NodeTransition t = Machine.Decide(node, Host, new OperatorQuarantined("alice", "stolen laptop"), Now);
        t.ApplyTo(node, Now);

        NodeQuarantined q = Assert.IsType<NodeQuarantined>(t.Verdict);
        Assert.Equal([AttestationReasonCodes.OperatorQuarantine], q.ReasonCodes);
        Assert.Equal("quarantined by alice: stolen laptop", Assert.Single(q.Reasons).Message);
        Assert.Equal(
            [new NodeAudit("alice", AttestationReasonCodes.OperatorQuarantine, null, "stolen laptop"), new NodeAudit("alice", "state", NodeStates.Trusted, NodeStates.Quarantined)],
            t.Audit);
        Assert.Equal(("alice: stolen laptop", NodeStates.Quarantined), (node.OperatorQuarantine, node.State));
        Assert.Equal("Quarantined (was Trusted)", t.Note);
        Assert.Null(t.AttestationVerdict);
    }

    [Fact]
    public void An_operator_quarantine_of_a_node_its_evidence_quarantined_only_adds_the_hold()
    {
        NodeAttestation node = Node(NodeStates.Quarantined);

        NodeTransition t = Machine.Decide(node, Host, new OperatorQuarantined("alice", "look at it"), Now);

        Assert.False(t.WritesNothing);
        Assert.Null(t.Verdict);
        Assert.Equal((true, "alice: look at it"), (t.Edits.HoldChanged, t.Edits.OperatorQuarantine));
        Assert.Equal(new NodeAudit("alice", AttestationReasonCodes.OperatorQuarantine, null, "look at it"), Assert.Single(t.Audit));
    }

    [Fact]
    public void A_second_operator_quarantine_changes_nothing()
    {
        NodeAttestation node = Node(NodeStates.Quarantined);
        node.OperatorQuarantine = "alice: stolen laptop";

        NodeTransition t = Machine.Decide(node, Host, new OperatorQuarantined("bob", "again"), Now);

        Assert.True(t.WritesNothing);
        Assert.Null(t.Verdict);
        Assert.Equal("already held in quarantine (alice: stolen laptop): nothing changed", t.Note);
    }

    [Fact]
    public void A_release_lifts_the_hold_and_the_quarantine_naming_what_was_held()
    {
        NodeAttestation node = Node(NodeStates.Quarantined);
        node.OperatorQuarantine = "alice: stolen laptop";

        NodeTransition t = Machine.Decide(node, Host, new OperatorReleased("bob"), Now);
        t.ApplyTo(node, Now);

        NodeReleased r = Assert.IsType<NodeReleased>(t.Verdict);
        Assert.Equal(("bob", "alice: stolen laptop", NodeStates.Quarantined), (r.Operator, r.HeldFor, r.PreviousState));
        Assert.Equal(
            [new NodeAudit("bob", AttestationReasonCodes.OperatorQuarantine, "alice: stolen laptop", "released"), new NodeAudit("bob", "state", NodeStates.Quarantined, NodeStates.Pending)],
            t.Audit);
        Assert.Equal((NodeStates.Pending, (string?)null), (node.State, node.OperatorQuarantine));
    }

    [Fact]
    public void A_release_of_a_held_node_that_went_silent_lifts_only_the_hold()
    {
        NodeAttestation node = Node(NodeStates.Silent);
        node.OperatorQuarantine = "alice: stolen laptop";

        NodeTransition t = Machine.Decide(node, Host, new OperatorReleased("bob"), Now);
        t.ApplyTo(node, Now);

        Assert.Null(t.Verdict);
        Assert.Equal("Silent: quarantine hold lifted", t.Note);
        Assert.Equal((NodeStates.Silent, (string?)null, Earlier), (node.State, node.OperatorQuarantine, node.StateSince));
    }

    [Fact]
    public void A_state_that_stays_keeps_its_since()
    {
        NodeAttestation node = Node(NodeStates.Quarantined);

        Machine.Decide(node, Host, new AttestationFailed([PcrViolation], [], null), Now).ApplyTo(node, Now);

        Assert.Equal((NodeStates.Quarantined, Earlier), (node.State, node.StateSince));
    }

    private static NodeAttestation Node(string state) => new()
    {
        TpmHash = Hash, State = state, StateSince = Earlier, CreatedAt = Earlier.AddDays(-1),
    };
}
