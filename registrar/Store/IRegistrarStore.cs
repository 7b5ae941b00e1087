namespace KcryptPush.Registrar.Store;

/// <summary>
/// The registrar's one store (issue 10 item 3), one home for each record kind: nodes
/// (<see cref="NodeRecord"/>, written only by a valid proof), challenges (<see cref="ChallengeRecord"/>:
/// pending enrolments), the audit trail (<see cref="AuditEntry"/>) and the rejection counters
/// (<see cref="RejectionCount"/>). Two implementations pass the same contract tests:
/// <see cref="LiteDbRegistrarStore"/> (embedded, one process) and <see cref="PostgresRegistrarStore"/>
/// (several registrars on one database).
/// <para>
/// Each enrolment step's read-modify-write is a unit of work of its node, serialised per node by the
/// store (an advisory lock on the TPM hash and a row lock on each challenge read, in PostgreSQL, so
/// across instances; a lock in the process for LiteDB):
/// </para>
/// <code>
/// using IRegistrarUnit unit = store.BeginNode(tpmHash);   // waits for other units of this node
/// ChallengeRecord? c = unit.FindChallenge(id);            // read under the lock
/// ... decide; unit.PutChallenge(c); unit.SaveNode(node); unit.AddAudit(...);
/// unit.Commit();                                          // all of it in one transaction, or none
/// </code>
/// A challenge is consumed once: the commit that marks as used a challenge the unit read unused
/// checks that it still is (a guarded update), and a new challenge is an insert under a unique id, so
/// even a unit that did not hold the node's lock could not consume a challenge twice: its commit throws
/// <see cref="RegistrarStoreConflictException"/> and writes nothing. A unit disposed without
/// <see cref="IRegistrarUnit.Commit"/> writes nothing; a unit stays on the thread that began it.
/// The methods on the store itself read committed state without any lock.
/// </summary>
public interface IRegistrarStore : IDisposable
{
    /// <summary>What the store is, for logs and errors (<c>litedb:/var/lib/...</c>, <c>postgresql://host:port/db</c>).</summary>
    string Description { get; }

    /// <summary>Begins the unit of work of one node, waiting while another unit (of any instance) holds it.</summary>
    IRegistrarUnit BeginNode(string tpmHash);

    /// <summary>The node with this TPM hash, if it ever enrolled.</summary>
    NodeRecord? FindNode(string tpmHash);

    /// <summary>All node records, ordered by TPM hash.</summary>
    IReadOnlyList<NodeRecord> ListNodes();

    /// <summary>The TPM hashes of the enrolled nodes.</summary>
    IReadOnlyList<string> ListEnrolledTpmHashes();

    /// <summary>
    /// The TPM hashes that registered but have no node record (never enrolled), each as a node in
    /// state <see cref="NodeState.Pending"/> built from its challenges (<see cref="PendingNodes"/>).
    /// Not stored: pending enrolments live in the challenges, which are purged a while after they expire.
    /// </summary>
    IReadOnlyList<NodeRecord> ListPendingNodes();

    /// <summary>The pending node of <see cref="ListPendingNodes"/> for one TPM hash with no node record, if it registered.</summary>
    NodeRecord? FindPendingNode(string tpmHash);

    /// <summary>A challenge by id (committed state, no lock: a unit reads it again before changing it).</summary>
    ChallengeRecord? FindChallenge(Guid id);

    /// <summary>The unexpired, unused challenges (what the enrolment service keeps in memory for redeliveries).</summary>
    IReadOnlyList<ChallengeRecord> ListOpenChallenges(DateTime nowUtc);

    /// <summary>
    /// Wipes the secrets of expired challenges and deletes challenges expired for longer than
    /// <paramref name="keep"/>. Returns the number deleted.
    /// </summary>
    int PurgeChallenges(DateTime nowUtc, TimeSpan keep);

    /// <summary>The audit trail of one node, oldest first.</summary>
    IReadOnlyList<AuditEntry> AuditOf(string tpmHash);

    /// <summary>Adds <paramref name="counts"/> (reason code → requests refused since the last call) to the
    /// stored counters, atomically: several registrars adding at once lose no count.</summary>
    void AddRejections(IReadOnlyDictionary<string, long> counts, DateTime nowUtc);

    /// <summary>The stored rejection counters, ordered by reason code.</summary>
    IReadOnlyList<RejectionCount> RejectionCounts();
}

/// <summary>
/// One node's unit of work (<see cref="IRegistrarStore.BeginNode"/>): reads see committed state plus
/// this unit's own writes; writes are kept until <see cref="Commit"/>, which applies them in one transaction.
/// </summary>
public interface IRegistrarUnit : IDisposable
{
    /// <summary>The node this unit holds.</summary>
    string TpmHash { get; }

    /// <summary>The node's record as this unit sees it (null: never enrolled).</summary>
    NodeRecord? Node { get; }

    /// <summary>A challenge of this node by id, read under the lock (null: none, or another node's).</summary>
    ChallengeRecord? FindChallenge(Guid id);

    /// <summary>
    /// Writes a challenge at commit: a new one (not read by this unit) is inserted, and its id must be
    /// new; one this unit read is updated, and when the unit read it unused, only if it still is.
    /// </summary>
    void PutChallenge(ChallengeRecord challenge);

    /// <summary>Inserts or replaces the node's record at commit.</summary>
    void SaveNode(NodeRecord node);

    /// <summary>Appends an audit entry at commit.</summary>
    void AddAudit(AuditEntry entry);

    /// <summary>Applies every write of this unit in one transaction (once: a second call throws
    /// <see cref="InvalidOperationException"/>); the node stays held until the unit is disposed.</summary>
    /// <exception cref="RegistrarStoreConflictException">A challenge the unit consumes was consumed, or its id taken, meanwhile: nothing was written.</exception>
    void Commit();
}
