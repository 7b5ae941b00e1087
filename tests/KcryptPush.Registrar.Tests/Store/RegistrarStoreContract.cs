using System.Security.Cryptography;
using KcryptPush.Registrar.Store;

namespace KcryptPush.Registrar.Tests.Store;

/// <summary>
/// What every <see cref="IRegistrarStore"/> must do, run against each implementation by a subclass
/// (<see cref="LiteDbRegistrarStoreTests"/>, <see cref="PostgresRegistrarStoreTests"/>): each record kind
/// round-trips, units of one node are serialised by the store, a unit not committed writes nothing, a
/// challenge is consumed once even when two units (two registrars) race for it, counters lose no count.
/// </summary>
public abstract class RegistrarStoreContract : IDisposable
{
    private readonly List<IRegistrarStore> _opened = [];

    protected static DateTime Now { get; } = new(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc);

    protected static string HashA { get; } = new('a', 64);

    protected static string HashB { get; } = new('b', 64);

    protected static string HashC { get; } = new('c', 64);

    /// <summary>Opens a store on this test's own empty database (the same one on every call).</summary>
    protected abstract IRegistrarStore OpenStore();

    /// <summary>Whether two stores may be open on one database at once (several processes).</summary>
    protected abstract bool SeveralInstances { get; }

    protected IRegistrarStore Open()
    {
        IRegistrarStore store = OpenStore();
        _opened.Add(store);
        return store;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            DisposeStores();
        }
    }

    protected void DisposeStores()
    {
        foreach (IRegistrarStore s in _opened)
        {
            s.Dispose();
        }

        _opened.Clear();
    }

    [RegistrarStoreFact]
    public void Nodes_round_trip_and_the_enrolled_ones_are_listed()
    {
        IRegistrarStore store = Open();
        foreach (string hash in new[] { HashB, HashA })
        {
            using IRegistrarUnit unit = store.BeginNode(hash);
            Assert.Null(unit.Node);
            unit.SaveNode(NewNode(hash, NodeState.Enrolled));
            unit.Commit();
        }

        using (IRegistrarUnit unit = store.BeginNode(HashC))
        {
            unit.SaveNode(NewNode(HashC, NodeState.Pending));
            unit.Commit();
        }

        NodeRecord a = store.FindNode(HashA)!;
        Assert.Equal([0, 11, 5], a.AkName);
        Assert.Equal([3, 4], a.AkPublic);
        Assert.Equal([9, 9], a.EkCertificate);
        Assert.Equal(("host-a", "ek-certificate", NodeState.Enrolled), (a.Hostname, a.EkTrust, a.State));
        Assert.Equal(Now, a.EnrolledAt!.Value.ToUniversalTime());
        Assert.Equal([HashA, HashB, HashC], store.ListNodes().Select(n => n.TpmHash));
        Assert.Equal([HashA, HashB], store.ListEnrolledTpmHashes().Order(StringComparer.Ordinal));
        Assert.Null(store.FindNode(new string('d', 64)));

        using IRegistrarUnit again = store.BeginNode(HashA);
        Assert.Equal("host-a", again.Node!.Hostname);
    }

    [RegistrarStoreFact]
    public void Challenges_round_trip_and_a_unit_sees_only_its_own_nodes()
    {
        IRegistrarStore store = Open();
        ChallengeRecord c = NewChallenge(HashA, Now.AddMinutes(1));
        Put(store, c);

        ChallengeRecord read = store.FindChallenge(c.Id)!;
        Assert.Equal((c.TpmHash, c.RegistrationId, c.Hostname, c.EkTrust), (read.TpmHash, read.RegistrationId, read.Hostname, read.EkTrust));
        Assert.Equal(c.Secret, read.Secret);
        Assert.Equal(c.CredentialBlob, read.CredentialBlob);
        Assert.Equal(c.EncryptedSecret, read.EncryptedSecret);
        Assert.Equal(c.AkName, read.AkName);
        Assert.Equal(c.ExpiresAt, read.ExpiresAt.ToUniversalTime());
        Assert.Null(read.UsedAt);
        Assert.Null(store.FindChallenge(Guid.NewGuid()));

        using (IRegistrarUnit other = store.BeginNode(HashB))
        {
            Assert.Null(other.FindChallenge(c.Id));
        }

        using IRegistrarUnit mine = store.BeginNode(HashA);
        Assert.Equal(c.Secret, mine.FindChallenge(c.Id)!.Secret);
    }

    [RegistrarStoreFact]
    public void Open_challenges_are_the_unused_unexpired_ones_and_purging_wipes_then_deletes_expired_ones()
    {
        IRegistrarStore store = Open();
        ChallengeRecord open = NewChallenge(HashA, Now.AddMinutes(1));
        ChallengeRecord used = NewChallenge(HashA, Now.AddMinutes(1));
        ChallengeRecord expired = NewChallenge(HashB, Now.AddMinutes(-1));
        ChallengeRecord old = NewChallenge(HashB, Now.AddDays(-2));
        Put(store, open, used, expired, old);
        Consume(store, used, Now);

        Assert.Equal([open.Id], store.ListOpenChallenges(Now).Select(c => c.Id));

        Assert.Equal(1, store.PurgeChallenges(Now, TimeSpan.FromDays(1)));
        Assert.Null(store.FindChallenge(old.Id));
        ChallengeRecord wiped = store.FindChallenge(expired.Id)!;
        Assert.Empty(wiped.Secret);
        Assert.Equal(expired.CredentialBlob, wiped.CredentialBlob);
        Assert.Equal(open.Secret, store.FindChallenge(open.Id)!.Secret);
        Assert.Equal(0, store.PurgeChallenges(Now, TimeSpan.FromDays(1)));
    }

    [RegistrarStoreFact]
    public void A_node_that_registered_but_never_enrolled_is_pending_from_its_challenges()
    {
        IRegistrarStore store = Open();
        ChallengeRecord first = NewChallenge(HashB, Now.AddMinutes(1));
        first.IssuedAt = Now.AddMinutes(-5);
        first.Hostname = "first";
        ChallengeRecord latest = NewChallenge(HashB, Now.AddMinutes(2));
        latest.Hostname = "latest";
        Put(store, first, latest, NewChallenge(HashA, Now.AddMinutes(1)));
        using (IRegistrarUnit unit = store.BeginNode(HashA))
        {
            unit.SaveNode(NewNode(HashA, NodeState.Enrolled));
            unit.Commit();
        }

        NodeRecord pending = Assert.Single(store.ListPendingNodes());
        Assert.Equal((HashB, NodeState.Pending, "latest"), (pending.TpmHash, pending.State, pending.Hostname));
        Assert.Equal(first.IssuedAt, pending.CreatedAt.ToUniversalTime());
        Assert.Equal(latest.IssuedAt, pending.UpdatedAt.ToUniversalTime());
        Assert.Empty(pending.AkName);
        Assert.Equal("latest", store.FindPendingNode(HashB)!.Hostname);
        Assert.Null(store.FindPendingNode(HashA));
        Assert.Null(store.FindPendingNode(HashC));
    }

    [RegistrarStoreFact]
    public void The_audit_trail_is_per_node_and_oldest_first()
    {
        IRegistrarStore store = Open();
        foreach ((string hash, string evt) in new[] { (HashA, AuditEvents.ChallengeIssued), (HashB, AuditEvents.ChallengeIssued), (HashA, AuditEvents.Enrolled) })
        {
            using IRegistrarUnit unit = store.BeginNode(hash);
            unit.AddAudit(new AuditEntry { At = Now, TpmHash = hash, Event = evt, Detail = "d", ChallengeId = Guid.NewGuid(), NewAkName = "000b05" });
            unit.Commit();
        }

        using (IRegistrarUnit unit = store.BeginNode(HashA))
        {
            unit.AddAudit(new AuditEntry { At = Now, TpmHash = HashA, Event = AuditEvents.Rejected, ReasonCode = "proof-invalid", Detail = "x" });
            unit.AddAudit(new AuditEntry { At = Now, TpmHash = HashA, Event = AuditEvents.AkChanged, OldAkName = "000b05", NewAkName = "000b06" });
            unit.Commit();
        }

        IReadOnlyList<AuditEntry> a = store.AuditOf(HashA);
        Assert.Equal([AuditEvents.ChallengeIssued, AuditEvents.Enrolled, AuditEvents.Rejected, AuditEvents.AkChanged], a.Select(e => e.Event));
        Assert.True(a.Zip(a.Skip(1)).All(p => p.First.Id < p.Second.Id));
        Assert.Equal("proof-invalid", a[2].ReasonCode);
        Assert.Equal(("000b05", "000b06"), (a[3].OldAkName, a[3].NewAkName));
        Assert.Single(store.AuditOf(HashB));
        Assert.Empty(store.AuditOf(HashC));
    }

    [RegistrarStoreFact]
    public void Rejection_counters_add_up_and_keep_their_first_time()
    {
        IRegistrarStore store = Open();
        store.AddRejections(new Dictionary<string, long> { ["tpm-hash-mismatch"] = 3, ["ak-attributes"] = 2 }, Now);
        store.AddRejections(new Dictionary<string, long> { ["tpm-hash-mismatch"] = 4 }, Now.AddMinutes(1));
        store.AddRejections(new Dictionary<string, long>(), Now.AddMinutes(2));

        IReadOnlyList<RejectionCount> counts = store.RejectionCounts();
        Assert.Equal(["ak-attributes", "tpm-hash-mismatch"], counts.Select(c => c.ReasonCode));
        RejectionCount mismatch = counts[1];
        Assert.Equal(7, mismatch.Count);
        Assert.Equal(Now, mismatch.FirstAt.ToUniversalTime());
        Assert.Equal(Now.AddMinutes(1), mismatch.LastAt.ToUniversalTime());
    }

    [RegistrarStoreFact]
    public void Counters_added_at_once_by_several_threads_and_instances_lose_no_count()
    {
        IRegistrarStore[] stores = SeveralInstances ? [Open(), Open()] : [Open()];
        const int Threads = 4;
        const int Each = 25;
        Task[] tasks = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
        {
            for (int i = 0; i < Each; i++)
            {
                stores[t % stores.Length].AddRejections(new Dictionary<string, long> { ["rate-limited"] = 1, ["challenge-unknown"] = 2 }, Now);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        Assert.True(Task.WaitAll(tasks, TimeSpan.FromMinutes(2)));

        Dictionary<string, long> counted = stores[^1].RejectionCounts().ToDictionary(c => c.ReasonCode, c => c.Count);
        Assert.Equal(Threads * Each, counted["rate-limited"]);
        Assert.Equal(2 * Threads * Each, counted["challenge-unknown"]);
    }

    [RegistrarStoreFact]
    public void A_unit_disposed_without_commit_writes_nothing()
    {
        IRegistrarStore store = Open();
        ChallengeRecord c = NewChallenge(HashA, Now.AddMinutes(1));
        using (IRegistrarUnit unit = store.BeginNode(HashA))
        {
            unit.PutChallenge(c);
            unit.SaveNode(NewNode(HashA, NodeState.Enrolled));
            unit.AddAudit(new AuditEntry { At = Now, TpmHash = HashA, Event = AuditEvents.Enrolled });

            // The unit sees its own writes.
            Assert.Same(c, unit.FindChallenge(c.Id));
            Assert.Equal("host-a", unit.Node!.Hostname);
        }

        Assert.Null(store.FindNode(HashA));
        Assert.Null(store.FindChallenge(c.Id));
        Assert.Empty(store.AuditOf(HashA));

        // And the node is free again.
        using IRegistrarUnit next = store.BeginNode(HashA);
        Assert.Null(next.Node);
    }

    [RegistrarStoreFact]
    public void A_unit_commits_once_and_only_its_own_nodes_records()
    {
        IRegistrarStore store = Open();
        using IRegistrarUnit unit = store.BeginNode(HashA);
        Assert.Throws<ArgumentException>(() => unit.SaveNode(NewNode(HashB, NodeState.Enrolled)));
        Assert.Throws<ArgumentException>(() => unit.PutChallenge(NewChallenge(HashB, Now)));
        Assert.Throws<ArgumentException>(() => unit.AddAudit(new AuditEntry { TpmHash = HashB, Event = AuditEvents.Enrolled }));
        unit.SaveNode(NewNode(HashA, NodeState.Enrolled));
        unit.Commit();
        Assert.Throws<InvalidOperationException>(unit.Commit);
        Assert.NotNull(store.FindNode(HashA));
        Assert.Null(store.FindNode(HashB));
    }

    [RegistrarStoreFact]
    public void A_new_challenge_whose_id_exists_is_a_conflict_that_writes_nothing()
    {
        IRegistrarStore store = Open();
        ChallengeRecord c = NewChallenge(HashA, Now.AddMinutes(1));
        Put(store, c);

        ChallengeRecord twin = NewChallenge(HashA, Now.AddMinutes(5));
        twin.Id = c.Id;
        using (IRegistrarUnit unit = store.BeginNode(HashA))
        {
            unit.PutChallenge(twin);
            unit.AddAudit(new AuditEntry { At = Now, TpmHash = HashA, Event = AuditEvents.ChallengeIssued });
            Assert.Throws<RegistrarStoreConflictException>(unit.Commit);
        }

        Assert.Equal(c.Secret, store.FindChallenge(c.Id)!.Secret);
        Assert.Empty(store.AuditOf(HashA));
    }

    [RegistrarStoreFact]
    public void A_second_unit_of_a_node_waits_for_the_first_and_other_nodes_do_not()
    {
        IRegistrarStore first = Open();
        IRegistrarStore second = SeveralInstances ? Open() : first;
        IRegistrarUnit held = first.BeginNode(HashA);
        try
        {
            held.SaveNode(NewNode(HashA, NodeState.Enrolled));

            Task<string?> waiting = Task.Run(() =>
            {
                using IRegistrarUnit unit = second.BeginNode(HashA);
                return unit.Node?.Hostname;
            });

            // Another node is not held up (HashB: a different lock stripe in LiteDB too).
            Task<bool> other = Task.Run(() =>
            {
                using IRegistrarUnit unit = second.BeginNode(HashB);
                return unit.Node is null;
            });
            Assert.True(other.Wait(TimeSpan.FromSeconds(30)));
            Assert.True(other.Result);

            Assert.False(waiting.Wait(TimeSpan.FromMilliseconds(500)), "a second unit of the node began while the first held it");
            held.Commit();
            held.Dispose();

            // It waited, and then read what the first committed.
            Assert.True(waiting.Wait(TimeSpan.FromSeconds(30)));
            Assert.Equal("host-a", waiting.Result);
        }
        finally
        {
            held.Dispose();
        }
    }

    /// <summary>
    /// The replay an attacker would try: one valid credential proof sent to two registrars at the same
    /// moment. Each reads the challenge, finds it unused, marks it used and enrols; exactly one of them
    /// may, and the other must see it used (then it answers with the stored result or refuses).
    /// </summary>
    [RegistrarStoreFact]
    public void A_challenge_proven_at_once_by_two_units_is_consumed_once()
    {
        const int Rounds = 10;
        const int Racers = 4;
        IRegistrarStore[] stores = SeveralInstances ? [Open(), Open()] : [Open()];
        for (int round = 0; round < Rounds; round++)
        {
            ChallengeRecord c = NewChallenge(HashA, Now.AddMinutes(1));
            Put(stores[0], c);
            using var start = new Barrier(Racers);
            Task<bool>[] racers = Enumerable.Range(0, Racers).Select(r => Task.Factory.StartNew(() =>
            {
                start.SignalAndWait();
                using IRegistrarUnit unit = stores[r % stores.Length].BeginNode(HashA);
                ChallengeRecord mine = unit.FindChallenge(c.Id)!;
                if (mine.UsedAt is not null)
                {
                    return false;
                }

                Thread.Yield();
                mine.UsedAt = Now;
                mine.Secret = [];
                mine.AcceptedProofHash = SHA256.HashData([(byte)r]);
                unit.PutChallenge(mine);
                NodeRecord node = unit.Node ?? NewNode(HashA, NodeState.Enrolled);
                node.Hostname = $"racer-{r}";
                unit.SaveNode(node);
                unit.AddAudit(new AuditEntry { At = Now, TpmHash = HashA, Event = AuditEvents.Enrolled, ChallengeId = c.Id, Detail = $"racer-{r}" });
                try
                {
                    unit.Commit();
                    return true;
                }
                catch (RegistrarStoreConflictException)
                {
                    return false;
                }
            }, TaskCreationOptions.LongRunning)).ToArray();
            Assert.True(Task.WaitAll(racers, TimeSpan.FromMinutes(1)));

            int winners = racers.Count(t => t.Result);
            Assert.Equal(1, winners);
            int winner = Array.FindIndex(racers, t => t.Result);
            ChallengeRecord stored = stores[^1].FindChallenge(c.Id)!;
            Assert.Equal(SHA256.HashData([(byte)winner]), stored.AcceptedProofHash);
            Assert.Equal($"racer-{winner}", stores[^1].FindNode(HashA)!.Hostname);
        }

        // One enrolment audited per challenge, none for the losers.
        Assert.Equal(Rounds, stores[^1].AuditOf(HashA).Count(a => a.Event == AuditEvents.Enrolled));
    }

    [RegistrarStoreFact]
    public void What_was_committed_is_there_after_reopening()
    {
        IRegistrarStore store = Open();
        ChallengeRecord c = NewChallenge(HashA, Now.AddMinutes(1));
        using (IRegistrarUnit unit = store.BeginNode(HashA))
        {
            unit.PutChallenge(c);
            unit.SaveNode(NewNode(HashA, NodeState.Enrolled));
            unit.AddAudit(new AuditEntry { At = Now, TpmHash = HashA, Event = AuditEvents.Enrolled });
            unit.Commit();
        }

        store.AddRejections(new Dictionary<string, long> { ["rate-limited"] = 5 }, Now);
        DisposeStores();

        IRegistrarStore reopened = Open();
        Assert.Equal("host-a", reopened.FindNode(HashA)!.Hostname);
        Assert.Equal(c.Secret, reopened.FindChallenge(c.Id)!.Secret);
        Assert.Single(reopened.AuditOf(HashA));
        Assert.Equal(5, Assert.Single(reopened.RejectionCounts()).Count);
    }

    protected static void Put(IRegistrarStore store, params ChallengeRecord[] challenges)
    {
        foreach (IGrouping<string, ChallengeRecord> node in challenges.GroupBy(c => c.TpmHash))
        {
            using IRegistrarUnit unit = store.BeginNode(node.Key);
            foreach (ChallengeRecord c in node)
            {
                unit.PutChallenge(c);
            }

            unit.Commit();
        }
    }

    protected static void Consume(IRegistrarStore store, ChallengeRecord challenge, DateTime at)
    {
        using IRegistrarUnit unit = store.BeginNode(challenge.TpmHash);
        ChallengeRecord c = unit.FindChallenge(challenge.Id)!;
        c.UsedAt = at;
        c.Secret = [];
        unit.PutChallenge(c);
        unit.Commit();
    }

    protected static NodeRecord NewNode(string tpmHash, NodeState state) => new()
    {
        TpmHash = tpmHash,
        EkPublic = [1, 2],
        EkCertificate = [9, 9],
        EkTrust = "ek-certificate",
        AkPublic = [3, 4],
        AkName = [0, 11, 5],
        Hostname = "host-" + tpmHash[0],
        State = state,
        CreatedAt = Now,
        UpdatedAt = Now,
        EnrolledAt = Now,
    };

    protected static ChallengeRecord NewChallenge(string tpmHash, DateTime expiresAt) => new()
    {
        Id = Guid.NewGuid(),
        TpmHash = tpmHash,
        RegistrationId = Guid.NewGuid(),
        Secret = RandomNumberGenerator.GetBytes(32),
        CredentialBlob = RandomNumberGenerator.GetBytes(50),
        EncryptedSecret = RandomNumberGenerator.GetBytes(70),
        EkPublic = [1, 2],
        EkCertificate = [9, 9],
        EkTrust = "ek-certificate",
        AkPublic = [3, 4],
        AkName = [0, 11, 6],
        Hostname = "host-" + tpmHash[0],
        IssuedAt = expiresAt.AddMinutes(-1),
        ExpiresAt = expiresAt,
    };
}
