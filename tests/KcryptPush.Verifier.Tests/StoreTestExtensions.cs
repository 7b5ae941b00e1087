using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Operator;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// One-line set-ups and reads for tests over <see cref="IVerifierStore"/>: each write is a unit of its
/// own (begun, changed, committed), as a consumer would do it.
/// </summary>
internal static class StoreTestExtensions
{
    public static NodeAttestation? Find(this IVerifierStore store, string tpmHash) => store.FindAttestation(tpmHash);

    public static IReadOnlyList<NodeAttestation> All(this IVerifierStore store) => store.AllAttestations();

    /// <summary>The node's record, or a new Pending one (not saved).</summary>
    public static NodeAttestation GetOrNew(this IVerifierStore store, string tpmHash, DateTime nowUtc) =>
        store.FindAttestation(tpmHash) ?? new NodeAttestation { TpmHash = tpmHash, State = NodeStates.Pending, StateSince = nowUtc, CreatedAt = nowUtc };

    public static void Save(this IVerifierStore store, NodeAttestation record) => Write(store, record.TpmHash, u => u.Save(record));

    public static void SetPcrPolicy(this IVerifierStore store, string tpmHash, string bank, int index, string mode, string? value, string actor, DateTime nowUtc) =>
        Write(store, tpmHash, u => PolicyEdits.SetPcr(u, bank, index, mode, value, actor, nowUtc));

    public static void SetAkPolicy(this IVerifierStore store, string tpmHash, string mode, string actor, DateTime nowUtc) =>
        Write(store, tpmHash, u => PolicyEdits.SetAk(u, mode, actor, nowUtc));

    public static void SetMaxAttestations(this IVerifierStore store, string tpmHash, int? max, string actor, DateTime nowUtc) =>
        Write(store, tpmHash, u => PolicyEdits.SetMaxAttestations(u, max, actor, nowUtc));

    /// <summary>Attaches (or with null removes) a measured-boot policy, audited as "attached".</summary>
    public static void SetBootPolicy(this IVerifierStore store, string tpmHash, string? policyJson, string actor, DateTime nowUtc) =>
        Write(store, tpmHash, u =>
        {
            NodeAttestation rec = u.GetOrNewAttestation(nowUtc);
            string? old = rec.BootPolicyJson is null ? null : "attached";
            rec.BootPolicyJson = policyJson;
            u.Save(rec);
            u.AddAudit(actor, "boot policy", old, policyJson is null ? null : "attached", nowUtc);
        });

    public static void SetSecret(this IVerifierStore store, string tpmHash, string label, byte[] value, string actor, DateTime nowUtc) =>
        Write(store, tpmHash, u => u.SetSecret(label, value, actor, nowUtc));

    public static void AddAudit(this IVerifierStore store, string tpmHash, string actor, string what, string? oldValue, string? newValue, DateTime nowUtc) =>
        Write(store, tpmHash, u => u.AddAudit(actor, what, oldValue, newValue, nowUtc));

    public static void AddHistory(this IVerifierStore store, HistoryRecord record) => Write(store, record.TpmHash, u => u.AddHistory(record));

    public static void StoreLog(this IVerifierStore store, string tpmHash, byte[] sha256, byte[] log, DateTime nowUtc) =>
        Write(store, tpmHash, u => u.StoreLog(sha256, log, nowUtc));

    public static void TouchLog(this IVerifierStore store, EventLogRecord record, DateTime nowUtc) =>
        Write(store, record.TpmHash, u => u.TouchLog(record, nowUtc));

    public static void UpdateChallenge(this IVerifierStore store, ChallengeRecord challenge) =>
        Write(store, challenge.TpmHash, u => u.PutChallenge(challenge));

    public static bool Delete(this IVerifierStore store, string tpmHash, string actor, DateTime nowUtc)
    {
        using IVerifierUnit unit = store.BeginNode(tpmHash);
        bool existed = unit.DeleteNode(actor, nowUtc);
        unit.Commit();
        return existed;
    }

    private static void Write(IVerifierStore store, string tpmHash, Action<IVerifierUnit> change)
    {
        using IVerifierUnit unit = store.BeginNode(tpmHash);
        change(unit);
        unit.Commit();
    }
}

/// <summary>The enrolled-node side of a store as tests used it (the registrar's NodeEnrolled applied in a unit).</summary>
internal sealed class TestNodes(IVerifierStore store)
{
    public VerifierNode? Find(string tpmHash) => store.FindNode(tpmHash);

    public IReadOnlyList<VerifierNode> List() => store.ListNodes();

    public IReadOnlyList<VerifierEnrolmentEvent> EventsOf(string tpmHash) => store.EnrolmentEvents(tpmHash);

    public bool Apply(NodeEnrolled enrolled, DateTime nowUtc)
    {
        using IVerifierUnit unit = store.BeginNode(enrolled.TpmHash);
        bool changed = NodeEnrolment.Apply(unit, enrolled, nowUtc);
        unit.Commit();
        return changed;
    }
}
