using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Policies;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Nodes;

/// <summary>
/// The node states of DESIGN.md and every rule that moves a node between them, as one pure function:
/// the node's record, an event and the time in, a <see cref="NodeTransition"/> out. No store, no I/O,
/// no logging; <paramref name="relearnsPerDay"/> is Verifier:RelearnsPerDay.
/// <list type="bullet">
/// <item>Pending, Trusted, Quarantined, Silent → Trusted on a pass (Terminated when the pass spends the
/// budget); → Quarantined on a failure; → Silent on silence; Quarantined → Pending on release.</item>
/// <item>Terminated is final: every event is refused and nothing is written.</item>
/// <item>A failure reached without the log the quote signed (incomplete evidence) keeps a Silent node
/// Silent and does not count as evidence: a node that withholds its log does not flip Silent →
/// Quarantined → Silent with a verdict on each turn.</item>
/// <item>A log asked for and not sent twice more is withheld evidence: a failure.</item>
/// <item>Re-learns are limited per node per day: one over the limit fails the pass, and nothing is learned.</item>
/// <item>An operator's hold keeps secrets back (the operator-quarantine policy keeps it Quarantined) until released.</item>
/// <item>A state that stays publishes nothing; every state change is audited.</item>
/// </list>
/// </summary>
public sealed class NodeStateMachine(int relearnsPerDay)
{
    /// <summary>Unanswered log requests after which the log counts as withheld.</summary>
    public const int LogRequestsBeforeWithheld = 2;

    /// <summary>The window of <c>relearnsPerDay</c>.</summary>
    public static readonly TimeSpan RelearnWindow = TimeSpan.FromDays(1);

    /// <summary>Decides what <paramref name="e"/> does to the node of <paramref name="node"/> (which is not changed).</summary>
    /// <param name="node">The node's record as loaded.</param>
    /// <param name="hostname">The node's hostname for the verdict events ("" when not enrolled).</param>
    /// <param name="e">What happened.</param>
    /// <param name="nowUtc">Now.</param>
    public NodeTransition Decide(NodeAttestation node, string hostname, NodeEvent e, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(e);
        hostname ??= "";
        if (node.State == NodeStates.Terminated)
        {
            return new NodeTransition
            {
                From = node.State, To = node.State, Refused = true, WritesNothing = true,
                Note = $"{NodeStates.Terminated}: the node spent its attestation budget ({node.AttestationsPassed} passes); nothing changed",
            };
        }

        return e switch
        {
            AttestationPassed p => Passed(node, hostname, p, nowUtc),
            AttestationFailed f => Failed(node, hostname, f.Reasons, f.FailingPcrs, f.FirstEvent, f.CompleteEvidence, NodeRecordEdits.None, false, nowUtc),
            EventLogMissing m => LogMissing(node, hostname, m, nowUtc),
            SilenceDetected s => Silent(node, hostname, s, nowUtc),
            OperatorQuarantined q => Quarantine(node, hostname, q, nowUtc),
            OperatorReleased r => Release(node, hostname, r, nowUtc),
            _ => throw new ArgumentException($"unknown node event {e.GetType().Name}", nameof(e)),
        };
    }

    private NodeTransition Passed(NodeAttestation node, string hostname, AttestationPassed p, DateTime now)
    {
        IReadOnlyList<DateTime>? relearns = null;
        if (p.Changes.Any(c => c.IsRelearn))
        {
            var recent = node.Relearns.Where(t => t.ToUniversalTime() > now.Add(-RelearnWindow)).ToList();
            if (recent.Count >= relearnsPerDay)
            {
                AttestationReason limited = new(AttestationReasonCodes.RelearnRateLimited,
                    $"re-learning is limited to {relearnsPerDay} per day per node; {recent.Count} in the last 24 hours "
                    + $"({string.Join(", ", p.Changes.Where(c => c.IsRelearn).Select(c => c.What))} not learned).");
                return Failed(node, hostname, [limited], [], null, true, new NodeRecordEdits { Relearns = recent }, false, now);
            }

            recent.Add(now);
            relearns = recent;
        }

        string next = p.Terminate ? NodeStates.Terminated : NodeStates.Trusted;
        var audit = p.Changes.Select(c => new NodeAudit(c.Actor, c.What, c.OldValue, c.NewValue)).ToList();
        INodeVerdict? verdict = null;
        if (next != node.State)
        {
            audit.Add(StateAudit("verifier", node.State, next));
            verdict = p.Terminate
                ? new NodeTerminated(node.TpmHash, hostname, node.AttestationsPassed + 1, node.State, Utc(now))
                : new NodeTrusted(node.TpmHash, hostname, node.State, Utc(now));
        }

        return new NodeTransition
        {
            From = node.State, To = next, Verdict = verdict, Audit = audit,
            Edits = new NodeRecordEdits
            {
                CountPass = true, AcceptedLogSha256 = p.LogSha256, LastEvidenceAt = now, LastAttestationAt = now,
                LastVerdict = AttestationVerdicts.Pass, Relearns = relearns, Learned = p.Changes,
            },
            AttestationVerdict = AttestationVerdicts.Pass,
            ReleaseSecrets = !p.Terminate && node.OperatorQuarantine is null,
            IssueChallenge = !p.Terminate,
        };
    }

    // A failure of evidence shown to come from the node's TPM (or of policy): quarantine.
    private static NodeTransition Failed(NodeAttestation node, string hostname, IReadOnlyList<AttestationReason> reasons, IReadOnlyList<PcrMismatch> pcrs,
        BrokenEvent? firstEvent, bool completeEvidence, NodeRecordEdits edits, bool wantLog, DateTime now)
    {
        bool keepSilent = !completeEvidence && node.State == NodeStates.Silent;
        string next = keepSilent ? node.State : NodeStates.Quarantined;
        bool changes = next != node.State;
        return new NodeTransition
        {
            From = node.State, To = next,
            Verdict = changes
                ? new NodeQuarantined(node.TpmHash, hostname, reasons.Select(r => r.Code).Distinct().ToArray(), [.. reasons], [.. pcrs], firstEvent, node.State, Utc(now))
                : null,
            Audit = changes ? [StateAudit("verifier", node.State, next)] : [],
            Edits = edits with
            {
                LastEvidenceAt = completeEvidence ? now : null, LastAttestationAt = now, LastVerdict = AttestationVerdicts.Fail,
            },
            AttestationVerdict = AttestationVerdicts.Fail, Reasons = reasons, FailingPcrs = pcrs, IssueChallenge = true, EventLogWanted = wantLog,
        };
    }

    // The policies that need no log are judged on the signed values: a violation quarantines now and
    // the log is asked for all the same (the next message carries it, so the verdict can name the broken
    // event). Otherwise the log is asked for; answered twice more without it, it is withheld evidence.
    // Neither is evidence for the silence detector.
    private static NodeTransition LogMissing(NodeAttestation node, string hostname, EventLogMissing m, DateTime now)
    {
        if (m.PolicyFailures.Count > 0)
        {
            return Failed(node, hostname, m.PolicyFailures, m.FailingPcrs, null, false, new NodeRecordEdits { LogWanted = true }, true, now);
        }

        int unanswered = node.LogWanted ? node.LogRequestsUnanswered + 1 : node.LogRequestsUnanswered;
        var edits = new NodeRecordEdits { LogWanted = true, LogRequestsUnanswered = unanswered };
        if (unanswered >= LogRequestsBeforeWithheld)
        {
            AttestationReason withheld = new(AttestationReasonCodes.EventLogWithheld,
                $"asked for the event log whose SHA-256 the quote signed, the node answered {unanswered} times without it "
                + $"(last named {Convert.ToHexStringLower(m.NamedLogSha256)}).");
            return Failed(node, hostname, [withheld], [], null, false, edits, false, now);
        }

        return new NodeTransition
        {
            From = node.State, To = node.State,
            Edits = edits with { LastAttestationAt = now, LastVerdict = AttestationVerdicts.Retry },
            AttestationVerdict = AttestationVerdicts.Retry, IssueChallenge = true, EventLogWanted = true,
        };
    }

    // Silence is reported once: a Silent node stays Silent without a new event.
    private static NodeTransition Silent(NodeAttestation node, string hostname, SilenceDetected s, DateTime now)
    {
        if (node.State == NodeStates.Silent)
        {
            return new NodeTransition { From = node.State, To = node.State, WritesNothing = true };
        }

        return new NodeTransition
        {
            From = node.State, To = NodeStates.Silent,
            Verdict = new NodeSilent(node.TpmHash, hostname, node.LastEvidenceAt is { } seen ? Utc(seen) : null, s.QuietIntervals, node.State, Utc(now)),
            Audit = [StateAudit("verifier", node.State, NodeStates.Silent)],
        };
    }

    private static NodeTransition Quarantine(NodeAttestation node, string hostname, OperatorQuarantined q, DateTime now)
    {
        if (node.OperatorQuarantine is not null)
        {
            return new NodeTransition
            {
                From = node.State, To = node.State, WritesNothing = true,
                Note = $"already held in quarantine ({node.OperatorQuarantine}): nothing changed",
            };
        }

        var hold = new NodeRecordEdits { HoldChanged = true, OperatorQuarantine = $"{q.Operator}: {q.Reason}" };
        NodeAudit held = new(q.Operator, AttestationReasonCodes.OperatorQuarantine, null, q.Reason);
        if (node.State == NodeStates.Quarantined)
        {
            return new NodeTransition
            {
                From = node.State, To = node.State, Edits = hold, Audit = [held],
                Note = "already Quarantined by its evidence; now also held until release",
            };
        }

        var reason = new AttestationReason(AttestationReasonCodes.OperatorQuarantine, $"quarantined by {q.Operator}: {q.Reason}");
        return new NodeTransition
        {
            From = node.State, To = NodeStates.Quarantined, Edits = hold,
            Verdict = new NodeQuarantined(node.TpmHash, hostname, [AttestationReasonCodes.OperatorQuarantine], [reason], [], null, node.State, Utc(now)),
            Audit = [held, StateAudit(q.Operator, node.State, NodeStates.Quarantined)],
            Note = $"Quarantined (was {node.State})",
        };
    }

    // Lifts a quarantine and an operator's hold: the node is Pending until its next attestation.
    private static NodeTransition Release(NodeAttestation node, string hostname, OperatorReleased r, DateTime now)
    {
        if (node.State != NodeStates.Quarantined && node.OperatorQuarantine is null)
        {
            return new NodeTransition { From = node.State, To = node.State, WritesNothing = true, Note = $"{node.State}, not quarantined: nothing changed" };
        }

        var audit = new List<NodeAudit>();
        NodeRecordEdits edits = NodeRecordEdits.None;
        if (node.OperatorQuarantine is { } heldFor)
        {
            audit.Add(new NodeAudit(r.Operator, AttestationReasonCodes.OperatorQuarantine, heldFor, "released"));
            edits = new NodeRecordEdits { HoldChanged = true, OperatorQuarantine = null };
        }

        if (node.State != NodeStates.Quarantined)
        {
            return new NodeTransition { From = node.State, To = node.State, Edits = edits, Audit = audit, Note = $"{node.State}: quarantine hold lifted" };
        }

        audit.Add(StateAudit(r.Operator, NodeStates.Quarantined, NodeStates.Pending));
        return new NodeTransition
        {
            From = node.State, To = NodeStates.Pending, Edits = edits, Audit = audit,
            Verdict = new NodeReleased(node.TpmHash, hostname, r.Operator, node.OperatorQuarantine, NodeStates.Quarantined, Utc(now)),
            Note = $"{NodeStates.Pending} until its next attestation",
        };
    }

    private static NodeAudit StateAudit(string actor, string from, string to) => new(actor, "state", from, to);

    private static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at.ToUniversalTime(), DateTimeKind.Utc), TimeSpan.Zero);
}
