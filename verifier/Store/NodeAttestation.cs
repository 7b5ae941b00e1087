using KcryptPush.Contracts.V1;
using LiteDB;

namespace KcryptPush.Verifier.Store;

/// <summary>
/// The attestation side of a node (LiteDB collection <c>node_attestation</c> in verifier.db, keyed by
/// TPM hash, beside verifier/Enrolment's <c>nodes</c>): state, selective-enrollment policy, budget,
/// last clock info and when evidence last arrived.
/// </summary>
public sealed class NodeAttestation
{
    /// <summary>Lowercase hex SHA-256 of the EK SubjectPublicKeyInfo.</summary>
    [BsonId]
    public string TpmHash { get; set; } = string.Empty;

    /// <summary>One of <see cref="NodeStates"/>.</summary>
    public string State { get; set; } = NodeStates.Pending;

    /// <summary>When the state last changed.</summary>
    public DateTime StateSince { get; set; }

    /// <summary>
    /// AK policy: null = no record (TOFU on the next pass), else <see cref="PolicyModes.Enforce"/>,
    /// <see cref="PolicyModes.Learn"/> or <see cref="PolicyModes.Skip"/>.
    /// </summary>
    public string? AkMode { get; set; }

    /// <summary>The AK Name the policy enforces (kept in learn mode as the old value for the audit).</summary>
    public byte[]? AkName { get; set; }

    /// <summary>
    /// PCR policy entries: enforce, learn, or skip (an explicit skip, kept so TOFU does not learn that PCR).
    /// Until <see cref="PcrTofuPending"/> is false, every quoted PCR without an entry is learned on the
    /// first passing attestation; after it, a PCR without an entry is skipped.
    /// </summary>
    public List<PcrPolicyRecord>? Pcrs { get; set; }

    /// <summary>When the first passing attestation learned the node's PCRs (TOFU); null while TOFU is pending.</summary>
    public DateTime? PcrsLearnedAt { get; set; }

    /// <summary>
    /// True until the node's PCRs were learned. An operator entry made before (a skip, a set value,
    /// a provisioned secret) does not end TOFU: it only keeps that PCR out of what TOFU learns.
    /// Records of verifiers before this field existed count as learned when they have passed
    /// attestations with a PCR list.
    /// </summary>
    [BsonIgnore]
    public bool PcrTofuPending => PcrsLearnedAt is null && !(Pcrs is not null && AttestationsPassed > 0);

    /// <summary>Measured-boot policy (attestation/BootPolicy JSON), when the node carries one.</summary>
    public string? BootPolicyJson { get; set; }

    /// <summary>Attestation budget: after this many passes the node is terminated.</summary>
    public int? MaxAttestations { get; set; }

    /// <summary>Passes so far.</summary>
    public int AttestationsPassed { get; set; }

    /// <summary>Verdict events of this node's state changes the broker has not confirmed yet, oldest
    /// first (<see cref="PendingVerdict"/>).</summary>
    public List<PendingVerdict> PendingVerdicts { get; set; } = [];

    /// <summary>When each re-learn happened (pruned to the rate-limit window).</summary>
    public List<DateTime> Relearns { get; set; } = [];

    /// <summary>Whether <see cref="LastClock"/> etc. hold a value.</summary>
    public bool HasClock { get; set; }

    /// <summary>TPMS_CLOCK_INFO.clock of the latest authenticated quote (latest by resetCount, restartCount, clock).</summary>
    public long LastClock { get; set; }

    /// <summary>TPMS_CLOCK_INFO.resetCount of the latest authenticated quote.</summary>
    public long LastResetCount { get; set; }

    /// <summary>TPMS_CLOCK_INFO.restartCount of the latest authenticated quote.</summary>
    public long LastRestartCount { get; set; }

    /// <summary>
    /// Authenticated quotes in a row that named an event log the verifier does not hold for the node and
    /// did not carry it, after the first one asked for it (DESIGN.md "withheld evidence"): at 2 the node
    /// is quarantined with <see cref="AttestationReasonCodes.EventLogWithheld"/>; complete evidence resets it.
    /// </summary>
    public int LogRequestsUnanswered { get; set; }

    /// <summary>Whether the verifier has asked for an event log that has not arrived yet.</summary>
    public bool LogWanted { get; set; }

    /// <summary>When complete, authenticated evidence last arrived (silence is measured from it, or from creation):
    /// a message without the log it signed, or one that is not authenticated, does not move it.</summary>
    public DateTime? LastEvidenceAt { get; set; }

    /// <summary>When the last quote was judged.</summary>
    public DateTime? LastAttestationAt { get; set; }

    /// <summary>The last verdict.</summary>
    public string? LastVerdict { get; set; }

    /// <summary>SHA-256 of the event log of the last pass (the reference for naming the first differing event).</summary>
    public byte[]? AcceptedLogSha256 { get; set; }

    /// <summary>
    /// Set while an operator holds the node in quarantine (<c>"operator: reason"</c>): passing evidence
    /// does not make it Trusted until <c>nodes release</c> clears it (verifier/Operator).
    /// </summary>
    public string? OperatorQuarantine { get; set; }

    /// <summary>TPMS_ATTEST.firmwareVersion of the latest authenticated quote (changes are audited).</summary>
    public ulong? TpmFirmwareVersion { get; set; }

    /// <summary>When the record was created.</summary>
    public DateTime CreatedAt { get; set; }
}
