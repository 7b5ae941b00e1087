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

    private static Guid OldChallenge(int n) => new(n, 0, 0, new byte[8]);

    private void CopyFileWithPerChallengeDocuments()
    {
        string gz = Path.Combine(KcryptPush.Tests.RepoPaths.Root, "tests", "KcryptPush.Verifier.Tests", "Store", "testdata", "verifier-before-node-challenges.db.gz");
        using FileStream input = File.OpenRead(gz);
        using var unzip = new System.IO.Compression.GZipStream(input, System.IO.Compression.CompressionMode.Decompress);
        using FileStream output = File.Create(DbPath);
        unzip.CopyTo(output);
    }

    [Fact]
    public void A_file_with_one_document_per_challenge_is_moved_to_one_document_per_node_when_opened()
    {
        CopyFileWithPerChallengeDocuments();
        string a = new('a', 64);

        // Opened read-only (offline commands), nothing moves and the old challenges are read.
        using (var before = new LiteDbVerifierStore(DbPath, new VerifierStoreOptions { ReadOnly = true }))
        {
            Assert.NotNull(before.FindChallenge(OldChallenge(1)));
            using IVerifierUnit unit = before.BeginNode(a);
            Assert.Equal([(byte)11], unit.FindChallenge(OldChallenge(12))!.Nonce);
        }

        IVerifierStore store = Open();
        Assert.Equal(["host-a", "host-b"], store.ListNodes().Select(n => n.Hostname));
        Assert.Equal(11, store.History(a).Count);
        Assert.NotNull(store.FindLog(a, Enumerable.Repeat((byte)'a', 32).ToArray()));

        // Node a keeps its open challenge and the answered ones that had not expired when it was
        // issued (t0 + 110 s): 9 and 10 (expiring t0 + 110 s and 120 s); 0..8 had expired.
        DateTime t0 = new(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc);
        for (int i = 0; i < 9; i++)
        {
            Assert.Null(store.FindChallenge(OldChallenge(i + 1)));
        }

        ChallengeRecord answered = store.FindChallenge(OldChallenge(11))!;
        Assert.Equal("{\"verdict\":\"pass\",\"i\":10}", answered.ResultJson);
        Assert.Equal([(byte)10, 1], answered.SubmissionDigest);
        Assert.Equal(t0.AddSeconds(101), answered.UsedAt!.Value.ToUniversalTime());
        Assert.NotNull(store.FindChallenge(OldChallenge(10))!.UsedAt);
        Assert.Null(store.FindChallenge(OldChallenge(100))!.UsedAt);

        // The open one is answered through a unit, as the pipeline does, and the next one issued.
        ChallengeRecord next = NewChallenge(a, t0.AddSeconds(140));
        using (IVerifierUnit unit = store.BeginNode(a))
        {
            ChallengeRecord open = unit.FindChallenge(OldChallenge(12))!;
            Assert.Equal(t0.AddSeconds(130), open.ExpiresAt.ToUniversalTime());
            Assert.Equal([(byte)11], open.Nonce);
            open.UsedAt = t0.AddSeconds(111);
            open.ResultJson = "{}";
            unit.PutChallenge(open);
            unit.PutChallenge(next);
            unit.Commit();
        }

        Assert.NotNull(store.FindChallenge(next.Id));
        Assert.Equal(1, store.PruneChallenges(t0.AddSeconds(125)));   // 10 (expired t0 + 120 s)
        Assert.Null(store.FindChallenge(OldChallenge(11)));

        // The old collection is gone, and a second open finds nothing to move.
        DisposeStores();
        using (var db = new LiteDatabase(new ConnectionString { Filename = DbPath, Connection = ConnectionType.Direct }))
        {
            Assert.False(db.CollectionExists("challenges"));
            Assert.Equal(2, db.GetCollection("node_challenges").Count());
        }

        IVerifierStore again = Open();
        Assert.NotNull(again.FindChallenge(OldChallenge(100)));
        Assert.NotNull(again.FindChallenge(next.Id));
    }

    [Fact]
    public void A_node_keeps_at_most_two_answered_and_sixteen_challenges_in_all_answered_ones_going_first()
    {
        IVerifierStore store = Open();
        var open = new List<ChallengeRecord>();
        for (int i = 0; i < 6; i++)
        {
            ChallengeRecord c = NewChallenge(HashA, Now.AddHours(1).AddSeconds(i));
            open.Add(c);
            store.AddChallenge(c);
        }

        // Twelve answered ones, none expired, each with the next challenge, newer than the open ones.
        var answered = new List<ChallengeRecord>();
        for (int i = 0; i < 12; i++)
        {
            ChallengeRecord c = NewChallenge(HashA, Now.AddHours(2).AddSeconds(i));
            store.AddChallenge(c);
            using IVerifierUnit unit = store.BeginNode(HashA);
            ChallengeRecord claim = unit.FindChallenge(c.Id)!;
            claim.UsedAt = claim.IssuedAt;
            claim.ResultJson = "{}";
            unit.PutChallenge(claim);
            unit.Commit();
            answered.Add(c);
        }

        // The two newest answered stay, every open one stays.
        Assert.All(open, c => Assert.NotNull(store.FindChallenge(c.Id)));
        Assert.All(answered.Take(10), c => Assert.Null(store.FindChallenge(c.Id)));
        Assert.All(answered.Skip(10), c => Assert.NotNull(store.FindChallenge(c.Id)));

        // Open ones beyond the bound: the oldest issued go first; what the unit writes stays.
        var more = new List<ChallengeRecord>();
        for (int i = 0; i < LiteDbNodeChallengesBound; i++)
        {
            ChallengeRecord c = NewChallenge(HashA, Now.AddHours(3).AddSeconds(i));
            more.Add(c);
            store.AddChallenge(c);
        }

        Assert.All(more, c => Assert.NotNull(store.FindChallenge(c.Id)));
        Assert.All(open.Concat(answered), c => Assert.Null(store.FindChallenge(c.Id)));
    }

    private const int LiteDbNodeChallengesBound = 16;

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
