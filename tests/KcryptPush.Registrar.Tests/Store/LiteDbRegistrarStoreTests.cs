using KcryptPush.Registrar.Cli;
using KcryptPush.Registrar.Store;
using LiteDB;

namespace KcryptPush.Registrar.Tests.Store;

/// <summary>The store contract on <see cref="LiteDbRegistrarStore"/>, and what only the embedded store does:
/// one process holds the file (offline commands only while the service is stopped), files written by the
/// shared-mode store before it keep working.</summary>
[Trait("Category", "Unit")]
public sealed class LiteDbRegistrarStoreTests : RegistrarStoreContract
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-rstore-").FullName;

    private string DbPath => Path.Combine(_dir, "registrar.db");

    protected override bool SeveralInstances => false;

    protected override IRegistrarStore OpenStore() => new LiteDbRegistrarStore(DbPath);

    [Fact]
    public void A_second_opener_of_a_held_file_fails_at_once_saying_the_service_holds_it()
    {
        IRegistrarStore held = Open();
        var e = Assert.Throws<RegistrarStoreInUseException>(() => new LiteDbRegistrarStore(DbPath, readOnly: true));
        Assert.Contains(DbPath, e.Message, StringComparison.Ordinal);
        Assert.Contains("in use by a running registrar", e.Message, StringComparison.Ordinal);
        Assert.Contains("only while the service is stopped", e.Message, StringComparison.Ordinal);
        Assert.Throws<RegistrarStoreInUseException>(() => new LiteDbRegistrarStore(DbPath));

        held.Dispose();
        using var after = new LiteDbRegistrarStore(DbPath, readOnly: true);
        Assert.Empty(after.ListNodes());
    }

    [Fact]
    public void Nodes_list_and_show_fail_with_exit_1_while_the_file_is_held_and_read_it_once_released()
    {
        IRegistrarStore held = Open();
        using (IRegistrarUnit unit = held.BeginNode(HashA))
        {
            unit.SaveNode(NewNode(HashA, NodeState.Enrolled));
            unit.Commit();
        }

        foreach (string[] args in new[] { new[] { "nodes", "list", "--db", DbPath }, ["nodes", "show", HashA, "--json", "--db", DbPath] })
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            Assert.Equal(1, RegistrarCli.Invoke(args, stdout, stderr));
            Assert.Equal(string.Empty, stdout.ToString());
            Assert.StartsWith("kcrypt-push-registrar: ", stderr.ToString(), StringComparison.Ordinal);
            Assert.Contains("in use by a running registrar", stderr.ToString(), StringComparison.Ordinal);
            Assert.Single(stderr.ToString().TrimEnd().Split('\n'));
        }

        held.Dispose();
        var output = new StringWriter();
        Assert.Equal(0, RegistrarCli.Invoke(["nodes", "list", "--db", DbPath], output, new StringWriter()));
        Assert.Contains(HashA, output.ToString(), StringComparison.Ordinal);

        // The offline command opened the file read-only: it took no index or write of its own.
        using var reopened = new LiteDbRegistrarStore(DbPath);
        Assert.Equal("host-a", reopened.FindNode(HashA)!.Hostname);
    }

    [Fact]
    public async Task A_second_registrar_on_a_held_file_refuses_to_start_with_exit_1()
    {
        IRegistrarStore held = Open();
        Task<int> run = Task.Run(() => RegistrarCli.Invoke(
            ["run", "--db", DbPath, "--http", "off", "--ek-ca-dir", _dir, "--broker", "amqp://guest:guest@127.0.0.1:1/"], new StringWriter(), new StringWriter()));

        // A registrar that started would run until cancelled: the timeout says it did.
        Assert.Equal(1, await run.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Empty(held.ListNodes());
    }

    [Fact]
    public void A_committed_unit_is_in_the_data_file_when_the_commit_returns()
    {
        // LiteDB writes its log from a background queue; the store checkpoints each commit into the
        // data file, so the file alone (what a crash leaves, or a backup copies) holds every unit.
        IRegistrarStore store = Open();
        string copy = Path.Combine(_dir, "copy.db");
        for (int i = 0; i < 50; i++)
        {
            string hash = i.ToString("x2", System.Globalization.CultureInfo.InvariantCulture) + new string('0', 62);
            using (IRegistrarUnit unit = store.BeginNode(hash))
            {
                unit.PutChallenge(NewChallenge(hash, Now.AddMinutes(1)));
                unit.AddAudit(new AuditEntry { At = Now, TpmHash = hash, Event = AuditEvents.ChallengeIssued });
                unit.Commit();
            }

            store.AddRejections(new Dictionary<string, long> { ["rate-limited"] = 1 }, Now);
            File.Copy(DbPath, copy, overwrite: true);
            using var db = new LiteDatabase(new ConnectionString { Filename = copy, Connection = ConnectionType.Direct, ReadOnly = true });
            Assert.Equal(i + 1, db.GetCollection("challenges").Count());
            Assert.Equal(i + 1, db.GetCollection("audit").Count());
            Assert.Equal(i + 1, db.GetCollection("rejections").FindById("rate-limited")["Count"].AsInt64);
        }
    }

    [Fact]
    public void A_read_only_open_of_a_missing_file_fails_and_creates_nothing()
    {
        Assert.Throws<FileNotFoundException>(() => new LiteDbRegistrarStore(DbPath, readOnly: true));
        Assert.False(File.Exists(DbPath));
        Assert.Equal(1, RegistrarCli.Invoke(["nodes", "list", "--db", DbPath], new StringWriter(), new StringWriter()));
        Assert.False(File.Exists(DbPath));
    }

    [Fact]
    public void A_consuming_unit_that_did_not_hold_the_node_finds_the_challenge_used_and_writes_nothing()
    {
        // The node lock is reentrant on one thread: two units of one node on this thread stand for
        // a unit that read without the lock. The guarded update still lets only the first consume.
        IRegistrarStore store = Open();
        ChallengeRecord c = NewChallenge(HashA, Now.AddMinutes(1));
        Put(store, c);
        using IRegistrarUnit late = store.BeginNode(HashA);
        ChallengeRecord stale = late.FindChallenge(c.Id)!;
        Assert.Null(stale.UsedAt);
        Consume(store, c, Now);

        stale.UsedAt = Now.AddSeconds(1);
        stale.Secret = [];
        late.PutChallenge(stale);
        late.SaveNode(NewNode(HashA, NodeState.Enrolled));
        late.AddAudit(new AuditEntry { At = Now, TpmHash = HashA, Event = AuditEvents.Enrolled });
        Assert.Throws<RegistrarStoreConflictException>(late.Commit);

        Assert.Equal(Now, store.FindChallenge(c.Id)!.UsedAt!.Value.ToUniversalTime());
        Assert.Null(store.FindNode(HashA));
        Assert.Empty(store.AuditOf(HashA));
    }

    [Fact]
    public void Node_locks_are_the_same_in_every_process_and_spread_over_the_stripes()
    {
        Assert.Equal(0xaa % LiteDbRegistrarStore.Stripes, LiteDbRegistrarStore.StripeOf(HashA));
        Assert.NotEqual(LiteDbRegistrarStore.StripeOf(HashA), LiteDbRegistrarStore.StripeOf(HashB));
        int[] used = Enumerable.Range(0, 256).Select(i => LiteDbRegistrarStore.StripeOf(i.ToString("x2", System.Globalization.CultureInfo.InvariantCulture) + new string('0', 62))).Distinct().ToArray();
        Assert.Equal(LiteDbRegistrarStore.Stripes, used.Length);
        Assert.InRange(LiteDbRegistrarStore.StripeOf("not hex"), 0, LiteDbRegistrarStore.Stripes - 1);
    }

    [Fact]
    public void A_registrar_db_written_by_the_shared_mode_store_opens_with_everything_in_it()
    {
        // Written by the registrar before this store (commit 94da77b, RegistrarStore in LiteDB shared
        // mode, through its EnrolmentService): one enrolled node, one pending registration with its open
        // challenge, the audit trail and two rejection counters. TestData/README.md says how.
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "registrar-shared-mode.db"), DbPath);
        string[] facts = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "TestData", "registrar-shared-mode.txt"));
        (string enrolled, string pending, Guid open, string akName) = (facts[0], facts[1], Guid.Parse(facts[2]), facts[3]);

        IRegistrarStore store = Open();
        NodeRecord node = store.FindNode(enrolled)!;
        Assert.Equal((NodeState.Enrolled, akName), (node.State, Convert.ToHexStringLower(node.AkName)));
        Assert.Equal([enrolled], store.ListEnrolledTpmHashes());
        Assert.Equal([AuditEvents.ChallengeIssued, AuditEvents.Enrolled], store.AuditOf(enrolled).Select(a => a.Event));
        Assert.Equal(("waiting", NodeState.Pending), (store.FindPendingNode(pending)!.Hostname, store.FindPendingNode(pending)!.State));
        ChallengeRecord challenge = store.FindChallenge(open)!;
        Assert.Equal(pending, challenge.TpmHash);
        Assert.NotEmpty(challenge.Secret);
        Assert.Equal(
            [("challenge-unknown", 1L), ("tpm-hash-mismatch", 1L)],
            store.RejectionCounts().Select(c => (c.ReasonCode, c.Count)));

        // And the store keeps writing to it: the pending challenge is consumed in a unit.
        using (IRegistrarUnit unit = store.BeginNode(pending))
        {
            ChallengeRecord c = unit.FindChallenge(open)!;
            Assert.Null(c.UsedAt);
            c.UsedAt = Now;
            c.Secret = [];
            unit.PutChallenge(c);
            unit.AddAudit(new AuditEntry { At = Now, TpmHash = pending, Event = AuditEvents.Rejected, ReasonCode = "proof-invalid" });
            unit.Commit();
        }

        store.AddRejections(new Dictionary<string, long> { ["tpm-hash-mismatch"] = 2 }, Now);
        DisposeStores();
        IRegistrarStore again = Open();
        Assert.NotNull(again.FindChallenge(open)!.UsedAt);
        Assert.Equal(3, again.RejectionCounts().Single(c => c.ReasonCode == "tpm-hash-mismatch").Count);
        Assert.Equal([AuditEvents.ChallengeIssued, AuditEvents.Rejected], again.AuditOf(pending).Select(a => a.Event));
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
