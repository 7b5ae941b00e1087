using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Policies;

namespace KcryptPush.Verifier.Nodes;

/// <summary>
/// What happened to a node, as <see cref="NodeStateMachine"/> judges it. The attestation events are
/// only ever about evidence shown to come from the node's TPM (DESIGN.md "Evidence binding": a forged or
/// replayed message is answered with its reason and never reaches the state machine).
/// </summary>
public abstract record NodeEvent;

/// <summary>Authenticated, complete evidence passed every check and every policy.</summary>
/// <param name="LogSha256">SHA-256 of the event log the quote signed: the reference log from now on.</param>
/// <param name="Changes">What the policies learned (trust on first use, re-learns), applied only if the pass stands.</param>
/// <param name="Terminate">This pass spends the node's attestation budget.</param>
public sealed record AttestationPassed(byte[] LogSha256, IReadOnlyList<PolicyChange> Changes, bool Terminate) : NodeEvent;

/// <summary>Authenticated evidence (or a policy over it) failed.</summary>
/// <param name="Reasons">Each failure with its reason code.</param>
/// <param name="FailingPcrs">PCRs whose value is not the policy's or the replay's.</param>
/// <param name="FirstEvent">The first event that breaks a policy or the replay, when known.</param>
/// <param name="CompleteEvidence">False for a verdict reached without the event log the quote signed:
/// it is no evidence for the silence detector.</param>
public sealed record AttestationFailed(
    IReadOnlyList<AttestationReason> Reasons,
    IReadOnlyList<PcrMismatch> FailingPcrs,
    BrokenEvent? FirstEvent,
    bool CompleteEvidence = true) : NodeEvent;

/// <summary>
/// Authenticated evidence that names an event log the verifier does not hold for the node, without it
/// (DESIGN.md "Withheld evidence is a finding").
/// </summary>
/// <param name="NamedLogSha256">The digest the quote signed.</param>
/// <param name="PolicyFailures">The verdict of the policies that need no log, on the signed PCR values.</param>
/// <param name="FailingPcrs">Their failing PCRs.</param>
public sealed record EventLogMissing(byte[] NamedLogSha256, IReadOnlyList<AttestationReason> PolicyFailures, IReadOnlyList<PcrMismatch> FailingPcrs) : NodeEvent;

/// <summary>The node sent no evidence for the silence threshold of time the verifier could hear it (<see cref="Verdicts.SilenceRule"/>).</summary>
/// <param name="QuietIntervals">How many attestation intervals it has been quiet.</param>
public sealed record SilenceDetected(int QuietIntervals) : NodeEvent;

/// <summary>An operator quarantines the node and holds it there until released (<c>nodes quarantine</c>).</summary>
public sealed record OperatorQuarantined(string Operator, string Reason) : NodeEvent;

/// <summary>An operator lifts a quarantine and its hold (<c>nodes release</c>).</summary>
public sealed record OperatorReleased(string Operator) : NodeEvent;
