using KcryptPush.Verifier.Enrolment;

namespace KcryptPush.Verifier.Store;

/// <summary>
/// The verifier's one store (issue 10 item 3): one home for each record kind. Enrolled nodes
/// (<see cref="VerifierNode"/>, with their enrolment events), node attestation state
/// (<see cref="NodeAttestation"/>), challenges, event logs by digest, history, audit, secrets (sealed
/// under <see cref="SecretAtRestKey"/>) and the verdict outbox (the <see cref="NodeAttestation.PendingVerdicts"/>
/// of the node's own record, so an outbox entry is written by the same write as the state change it reports).
/// Two implementations pass the same contract tests: <see cref="LiteDbVerifierStore"/> (embedded, one
/// process) and <see cref="PostgresVerifierStore"/> (several instances on one database).
/// <para>
/// Every change to a node goes through a unit of work, serialised per node by the store itself (a row
/// lock in PostgreSQL, so across processes; a per-node lock in the one LiteDB process):
/// </para>
/// <code>
/// using IVerifierUnit unit = store.BeginNode(tpmHash);   // waits for other units of this node
/// NodeAttestation rec = unit.GetOrNewAttestation(now);    // read under the lock
/// ... decide; unit.Save(rec); unit.AddHistory(...); unit.AddAudit(...); unit.PutChallenge(...);
/// unit.Commit();                                          // all of it in one transaction, or none
/// </code>
/// A unit disposed without <see cref="IVerifierUnit.Commit"/> writes nothing. Nothing that depends on a
/// change (an answer, a message acknowledgement, a publish) may happen before its unit committed. A unit
/// is synchronous and stays on the thread that began it (no await between BeginNode and Dispose).
/// The methods on the store itself read committed state without the node's lock.
/// </summary>
public interface IVerifierStore : IDisposable
{
    /// <summary>What the store is, for logs and errors (<c>litedb:/var/lib/...</c>, <c>postgresql://host:port/db</c>).</summary>
    string Description { get; }

    /// <summary>How many history records and event logs are kept per node.</summary>
    VerifierStoreOptions Options { get; }

    /// <summary>Begins the unit of work of one node, waiting while another unit (of any instance) holds it.</summary>
    IVerifierUnit BeginNode(string tpmHash);

    /// <summary>The enrolled node (identity and AK), if any.</summary>
    VerifierNode? FindNode(string tpmHash);

    /// <summary>Every enrolled node, ordered by TPM hash.</summary>
    IReadOnlyList<VerifierNode> ListNodes();

    /// <summary>The enrolment changes of one node, oldest first.</summary>
    IReadOnlyList<VerifierEnrolmentEvent> EnrolmentEvents(string tpmHash);

    /// <summary>The node's attestation record, if any.</summary>
    NodeAttestation? FindAttestation(string tpmHash);

    /// <summary>Every node's attestation record.</summary>
    IReadOnlyList<NodeAttestation> AllAttestations();

    /// <summary>The nodes whose records hold verdicts the broker has not confirmed (the outbox).</summary>
    IReadOnlyList<string> NodesWithPendingVerdicts();

    /// <summary>
    /// The enrolled nodes last heard (their last evidence, or their enrolment when they never sent any)
    /// at or before <paramref name="heardUntilUtc"/>, except Silent and Terminated ones: the silence
    /// scan's candidates, without reading the fleet's records.
    /// </summary>
    IReadOnlyList<QuietNode> QuietNodes(DateTime heardUntilUtc);

    /// <summary>Enrolled nodes by state and the verdict events owed, without reading the fleet's records.</summary>
    FleetCounts CountFleet();

    /// <summary>A challenge by id.</summary>
    ChallengeRecord? FindChallenge(Guid id);

    /// <summary>Stores a new challenge (one write of its own: issuing needs no node unit).</summary>
    void AddChallenge(ChallengeRecord challenge);

    /// <summary>Deletes challenges that expired before <paramref name="cutoffUtc"/>; returns how many.</summary>
    int PruneChallenges(DateTime cutoffUtc);

    /// <summary>The node's most recent history, newest first.</summary>
    IReadOnlyList<HistoryRecord> History(string tpmHash, int limit = int.MaxValue);

    /// <summary>The node's audit trail, newest first.</summary>
    IReadOnlyList<AuditRecord> Audit(string tpmHash, int limit = int.MaxValue);

    /// <summary>The log with this SHA-256 the node sent before, if kept.</summary>
    EventLogRecord? FindLog(string tpmHash, ReadOnlySpan<byte> sha256);

    /// <summary>The secret's record (label, when set, ciphertext), if configured.</summary>
    SecretRecord? FindSecret(string tpmHash, string label);

    /// <summary>The labels configured for a node, ordered.</summary>
    IReadOnlyList<string> SecretLabels(string tpmHash);

    /// <summary>The passphrase for a label, if configured; the caller zeroes it after use.</summary>
    /// <exception cref="InvalidOperationException">The store was opened without the secret key.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The stored ciphertext does not authenticate.</exception>
    byte[]? OpenSecret(string tpmHash, string label);

    /// <summary>Seals records still holding a plaintext passphrase (written before secrets were sealed
    /// at rest); returns how many.</summary>
    int SealPlaintextSecrets();

    /// <summary>
    /// Takes or renews the lease <paramref name="name"/> for <paramref name="holder"/> until
    /// <paramref name="nowUtc"/> + <paramref name="ttl"/>: true when it was free, expired or held by
    /// <paramref name="holder"/> already; false (and nothing changed) while another holder's lease runs.
    /// </summary>
    bool TryHoldLease(string name, string holder, TimeSpan ttl, DateTime nowUtc);

    /// <summary>Whether other verifier processes may write this store (PostgreSQL), so that work they
    /// staged and left, such as a killed instance's unpublished verdicts, must be looked for.</summary>
    bool Shared { get; }
}

/// <summary>
/// One node's unit of work (<see cref="IVerifierStore.BeginNode"/>): reads see committed state plus this
/// unit's own writes; writes are kept until <see cref="Commit"/>, which applies them in one transaction.
/// </summary>
public interface IVerifierUnit : IDisposable
{
    /// <summary>The node this unit holds.</summary>
    string TpmHash { get; }

    /// <summary>The enrolled node, read when the unit began (null: not enrolled).</summary>
    VerifierNode? Node { get; }

    /// <summary>The node's attestation record as this unit sees it (null: none yet).</summary>
    NodeAttestation? Attestation { get; }

    /// <summary>The node's record, or a new Pending one (saved only by <see cref="Save"/>).</summary>
    NodeAttestation GetOrNewAttestation(DateTime nowUtc);

    /// <summary>Writes the attestation record (and with it the node's outbox entries) at commit.</summary>
    void Save(NodeAttestation record);

    /// <summary>Writes the enrolled node at commit.</summary>
    void SaveNode(VerifierNode node);

    /// <summary>Appends an enrolment event at commit.</summary>
    void AddEnrolmentEvent(VerifierEnrolmentEvent enrolmentEvent);

    /// <summary>A challenge by id (this unit's writes first).</summary>
    ChallengeRecord? FindChallenge(Guid id);

    /// <summary>Inserts or replaces a challenge at commit (a claim, or the next challenge issued).</summary>
    void PutChallenge(ChallengeRecord challenge);

    /// <summary>Appends to the node's history at commit, dropping the oldest beyond <see cref="VerifierStoreOptions.HistoryLength"/>.</summary>
    void AddHistory(HistoryRecord record);

    /// <summary>Appends an audit entry at commit.</summary>
    void AddAudit(string actor, string what, string? oldValue, string? newValue, DateTime nowUtc);

    /// <summary>The log with this SHA-256 the node sent (this unit's writes first), if kept.</summary>
    EventLogRecord? FindLog(ReadOnlySpan<byte> sha256);

    /// <summary>Keeps a log at commit, dropping the least recently used beyond <see cref="VerifierStoreOptions.LogsPerNode"/>.</summary>
    void StoreLog(byte[] sha256, byte[] log, DateTime nowUtc);

    /// <summary>Marks a kept log as used now (written at most once per <see cref="VerifierStoreOptions.LogTouchInterval"/>).</summary>
    void TouchLog(EventLogRecord record, DateTime nowUtc);

    /// <summary>Sets a partition secret, sealed under the store's secret key, at commit; audited by label.</summary>
    /// <exception cref="InvalidOperationException">The store was opened without the secret key.</exception>
    void SetSecret(string label, byte[] value, string actor, DateTime nowUtc);

    /// <summary>Forgets everything about the node (enrolment, state, secrets, history, logs, challenges)
    /// at commit; the audit and enrolment events stay, and the deletion is audited. True when it existed.</summary>
    bool DeleteNode(string actor, DateTime nowUtc);

    /// <summary>Applies every write of this unit in one transaction (once: a second call throws
    /// <see cref="InvalidOperationException"/>). The node stays held until the unit is disposed.</summary>
    void Commit();
}
