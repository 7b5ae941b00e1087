using System.Text;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Store;
using LiteDB;

namespace KcryptPush.Verifier.Tests.Store;

/// <summary>The store contract on <see cref="LiteDbVerifierStore"/>, and what only the embedded store does:
/// one process holds the file, and files written before it keep working.</summary>
[Trait("Category", "Unit")]
public sealed class LiteDbVerifierStoreTests : VerifierStoreContract
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-vstore-").FullName;

    private string DbPath => Path.Combine(_dir, "verifier.db");

    protected override bool SeveralInstances => false;

    protected override IVerifierStore OpenStore(VerifierStoreOptions options) => new LiteDbVerifierStore(DbPath, options);

    protected override byte[] RawContent() =>
        Directory.GetFiles(_dir).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)).SelectMany(File.ReadAllBytes).ToArray();

    [Fact]
    public void A_second_opener_of_a_held_file_fails_at_once_naming_the_broker_commands()
    {
        IVerifierStore held = Open();
        var e = Assert.Throws<VerifierStoreInUseException>(() => new LiteDbVerifierStore(DbPath, new VerifierStoreOptions { ReadOnly = true }));
        Assert.Contains(DbPath, e.Message, StringComparison.Ordinal);
        Assert.Contains("--broker", e.Message, StringComparison.Ordinal);
        Assert.Contains("nodes list", e.Message, StringComparison.Ordinal);

        held.Dispose();
        using var after = new LiteDbVerifierStore(DbPath, new VerifierStoreOptions { ReadOnly = true });
        Assert.Empty(after.ListNodes());
    }

    [Fact]
    public void A_read_only_open_of_a_missing_file_fails_and_creates_nothing()
    {
        Assert.Throws<FileNotFoundException>(() => new LiteDbVerifierStore(DbPath, new VerifierStoreOptions { ReadOnly = true }));
        Assert.False(File.Exists(DbPath));
    }

    [Fact]
    public void A_verifier_db_written_by_the_shared_mode_stores_opens_with_everything_in_it()
    {
        // The collections and documents as the stores before this one wrote them (LiteDB shared mode),
        // including a secret from before sealing at rest (plaintext Value).
        using (var db = new LiteDatabase(new ConnectionString { Filename = DbPath, Connection = ConnectionType.Shared }))
        {
            db.GetCollection<VerifierNode>("nodes").Insert(new VerifierNode { TpmHash = HashA, Hostname = "old", AkName = [0, 11, 1], EnrolledAt = Now });
            db.GetCollection<VerifierEnrolmentEvent>("enrolment_audit").Insert(new VerifierEnrolmentEvent { TpmHash = HashA, Event = "added", At = Now, NewAkName = "000b01" });
            db.GetCollection<NodeAttestation>("node_attestation").Insert(new NodeAttestation
            {
                TpmHash = HashA, State = Contracts.V1.NodeStates.Trusted, AttestationsPassed = 7,
                PendingVerdicts = [new PendingVerdict { Id = Guid.NewGuid(), Type = "NodeTrusted", Json = "{}", CreatedAt = Now }],
            });
            db.GetCollection<ChallengeRecord>("challenges").Insert(NewChallenge(HashA, Now.AddMinutes(1)));
            db.GetCollection<HistoryRecord>("attestation_history").Insert(new HistoryRecord { TpmHash = HashA, At = Now, Verdict = "pass" });
            db.GetCollection<AuditRecord>("attestation_audit").Insert(new AuditRecord { TpmHash = HashA, At = Now, Actor = "alice", What = "state" });
            db.GetCollection<SecretRecord>("secrets").Insert(new SecretRecord
            {
                Id = HashA + "\n" + "COS_PERSISTENT", TpmHash = HashA, Label = "COS_PERSISTENT", Value = Encoding.UTF8.GetBytes("old plaintext"), SetAt = Now,
            });
            db.GetCollection<EventLogRecord>("event_logs").Insert(new EventLogRecord
            {
                Id = HashA + ":" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([7])), TpmHash = HashA,
                Sha256 = System.Security.Cryptography.SHA256.HashData([7]), Log = [7], LastUsedAt = Now,
            });
        }

        IVerifierStore store = Open();
        Assert.Equal("old", store.FindNode(HashA)!.Hostname);
        Assert.Single(store.EnrolmentEvents(HashA));
        Assert.Equal(7, store.FindAttestation(HashA)!.AttestationsPassed);
        Assert.Equal([HashA], store.NodesWithPendingVerdicts());
        Assert.Single(store.History(HashA));
        Assert.Single(store.Audit(HashA));
        Assert.Equal([7], store.FindLog(HashA, System.Security.Cryptography.SHA256.HashData([7]))!.Log);

        // The plaintext secret is sealed when the service starts, and still opens.
        Assert.False(store.FindSecret(HashA, "COS_PERSISTENT")!.IsSealed);
        Assert.Equal(1, store.SealPlaintextSecrets());
        Assert.True(store.FindSecret(HashA, "COS_PERSISTENT")!.IsSealed);
        Assert.Equal("old plaintext", Encoding.UTF8.GetString(store.OpenSecret(HashA, "COS_PERSISTENT")!));
        Assert.Equal(0, store.SealPlaintextSecrets());

        // And the store keeps writing to it.
        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            Assert.Equal("old", unit.Node!.Hostname);
            NodeAttestation rec = unit.Attestation!;
            rec.AttestationsPassed++;
            unit.Save(rec);
            unit.AddHistory(new HistoryRecord { TpmHash = HashA, At = Now, Verdict = "pass" });
            unit.Commit();
        }

        Assert.Equal(8, store.FindAttestation(HashA)!.AttestationsPassed);
        Assert.Equal(2, store.History(HashA).Count);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp directory is harmless
        }
    }
}
