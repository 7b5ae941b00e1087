using System.Security.Cryptography;
using System.Text;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests.Store;

/// <summary>
/// What every <see cref="IVerifierStore"/> must do, run against each implementation by a subclass
/// (<see cref="LiteDbVerifierStoreTests"/>, <see cref="PostgresVerifierStoreTests"/>): each record kind
/// round-trips, units of one node are serialised by the store, a unit not committed writes nothing,
/// outbox entries commit with the state change, the per-node limits hold, secrets are sealed at rest.
/// </summary>
public abstract class VerifierStoreContract : IDisposable
{
    private static readonly byte[] Passphrase = Encoding.UTF8.GetBytes("correct horse battery staple ü");
    private readonly List<IVerifierStore> _opened = [];
    private readonly ECDiffieHellman _transport = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    private readonly SecretAtRestKey _key;

    protected VerifierStoreContract()
    {
        _key = SecretAtRestKey.DeriveFrom(_transport);
    }

    protected static DateTime Now { get; } = new(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc);

    protected static string HashA { get; } = new('a', 64);

    protected static string HashB { get; } = new('b', 64);

    /// <summary>Opens a store on this test's own empty database (the same one on every call).</summary>
    protected abstract IVerifierStore OpenStore(VerifierStoreOptions options);

    /// <summary>Whether two stores may be open on one database at once (several processes).</summary>
    protected abstract bool SeveralInstances { get; }

    /// <summary>Everything the database holds, as bytes, read once every store of the test is disposed.</summary>
    protected abstract byte[] RawContent();

    protected IVerifierStore Open(VerifierStoreOptions? options = null)
    {
        IVerifierStore store = OpenStore(options ?? new VerifierStoreOptions { SecretKey = _key });
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
            _key.Dispose();
            _transport.Dispose();
        }
    }

    protected void DisposeStores()
    {
        foreach (IVerifierStore s in _opened)
        {
            s.Dispose();
        }

        _opened.Clear();
    }

    [StoreFact]
    public void A_lease_is_held_by_one_holder_until_it_lapses_and_then_by_whoever_asks()
    {
        IVerifierStore store = Open();
        TimeSpan ttl = TimeSpan.FromSeconds(30);
        Assert.True(store.TryHoldLease("scans", "a", ttl, Now));
        Assert.False(store.TryHoldLease("scans", "b", ttl, Now.AddSeconds(10)));
        Assert.True(store.TryHoldLease("other", "b", ttl, Now.AddSeconds(10)));

        // Renewed by its holder: runs 30 s from the renewal.
        Assert.True(store.TryHoldLease("scans", "a", ttl, Now.AddSeconds(20)));
        Assert.False(store.TryHoldLease("scans", "b", ttl, Now.AddSeconds(49)));

        // Lapsed: the next to ask takes it, and the old holder is refused.
        Assert.True(store.TryHoldLease("scans", "b", ttl, Now.AddSeconds(50)));
        Assert.False(store.TryHoldLease("scans", "a", ttl, Now.AddSeconds(51)));
        Assert.Equal(SeveralInstances, store.Shared);
    }

    [StoreFact]
    public void Of_holders_racing_for_a_free_lease_exactly_one_wins()
    {
        IVerifierStore[] stores = SeveralInstances ? [Open(), Open()] : [Open()];
        for (int round = 0; round < 10; round++)
        {
            string name = "race-" + round;
            int winners = 0;
            Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            {
                if (stores[i % stores.Length].TryHoldLease(name, "holder-" + i, TimeSpan.FromMinutes(1), Now))
                {
                    Interlocked.Increment(ref winners);
                }
            });
            Assert.Equal(1, winners);
        }
    }

    [StoreFact]
    public void Enrolled_nodes_and_their_enrolment_events_round_trip()
    {
        IVerifierStore store = Open();
        foreach (string hash in new[] { HashB, HashA })
        {
            using IVerifierUnit unit = store.BeginNode(hash);
            Assert.Null(unit.Node);
            unit.SaveNode(new VerifierNode
            {
                TpmHash = hash, EkPublic = [1, 2], AkPublic = [3, 4], AkName = [0, 11, 5], Hostname = "host-" + hash[0],
                EnrolledAt = Now, CreatedAt = Now, UpdatedAt = Now,
            });
            unit.AddEnrolmentEvent(new VerifierEnrolmentEvent { At = Now, TpmHash = hash, Event = "added", NewAkName = "000b05" });
            unit.AddEnrolmentEvent(new VerifierEnrolmentEvent { At = Now.AddMinutes(1), TpmHash = hash, Event = "ak-changed", OldAkName = "000b05", NewAkName = "000b06" });
            unit.Commit();
        }

        VerifierNode a = store.FindNode(HashA)!;
        Assert.Equal([0, 11, 5], a.AkName);
        Assert.Equal([3, 4], a.AkPublic);
        Assert.Equal("host-a", a.Hostname);
        Assert.Equal(Now, a.EnrolledAt.ToUniversalTime());
        Assert.Equal([HashA, HashB], store.ListNodes().Select(n => n.TpmHash));
        Assert.Null(store.FindNode(new string('c', 64)));

        IReadOnlyList<VerifierEnrolmentEvent> events = store.EnrolmentEvents(HashA);
        Assert.Equal(["added", "ak-changed"], events.Select(e => e.Event));
        Assert.True(events[0].Id < events[1].Id);
        Assert.Equal("000b05", events[1].OldAkName);

        using IVerifierUnit again = store.BeginNode(HashA);
        Assert.Equal("host-a", again.Node!.Hostname);
    }

    [StoreFact]
    public void A_node_attestation_record_round_trips_with_its_policy_and_outbox()
    {
        IVerifierStore store = Open();
        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            Assert.Null(unit.Attestation);
            NodeAttestation rec = unit.GetOrNewAttestation(Now);
            Assert.Equal(NodeStates.Pending, rec.State);
            rec.State = NodeStates.Trusted;
            rec.AkMode = PolicyModes.Enforce;
            rec.AkName = [0, 11, 9];
            rec.Pcrs = [new PcrPolicyRecord { Bank = "sha256", Index = 7, Mode = PolicyModes.Enforce, Value = "ab" }];
            rec.PcrsLearnedAt = Now;
            rec.BootPolicyJson = "{\"rules\":[]}";
            rec.MaxAttestations = 9;
            rec.AttestationsPassed = 3;
            rec.HasClock = true;
            rec.LastClock = 123_456_789_012;
            rec.LastResetCount = 4;
            rec.LastRestartCount = 5;
            rec.TpmFirmwareVersion = ulong.MaxValue - 1;
            rec.LastEvidenceAt = Now;
            rec.AcceptedLogSha256 = [9, 9];
            rec.PendingVerdicts = [new PendingVerdict { Id = Guid.NewGuid(), Type = "NodeTrusted", Json = "{}", CreatedAt = Now }];
            unit.Save(rec);
            unit.Commit();
        }

        NodeAttestation back = store.FindAttestation(HashA)!;
        Assert.Equal(NodeStates.Trusted, back.State);
        Assert.Equal([0, 11, 9], back.AkName);
        Assert.Equal("ab", Assert.Single(back.Pcrs!).Value);
        Assert.False(back.PcrTofuPending);
        Assert.Equal("{\"rules\":[]}", back.BootPolicyJson);
        Assert.Equal(9, back.MaxAttestations);
        Assert.Equal(123_456_789_012, back.LastClock);
        Assert.Equal(ulong.MaxValue - 1, back.TpmFirmwareVersion);
        Assert.Equal(Now, back.LastEvidenceAt!.Value.ToUniversalTime());
        Assert.Equal("NodeTrusted", Assert.Single(back.PendingVerdicts).Type);
        Assert.Equal([HashA], store.NodesWithPendingVerdicts());
        Assert.Equal([HashA], store.AllAttestations().Select(n => n.TpmHash));
        Assert.Null(store.FindAttestation(HashB));
    }

    [StoreFact]
    public void Quiet_nodes_and_fleet_counts_follow_each_commit_and_a_reopen()
    {
        IVerifierStore store = Open();

        // Asked before anything is written: a store that keeps these on write starts from here.
        Assert.Empty(store.QuietNodes(Now));
        Assert.Equal(0, store.CountFleet().Owed);

        string c = new('c', 64), d = new('d', 64), e = new('e', 64), f = new('f', 64);
        DateTime old = Now.AddMinutes(-10);
        Enrol(store, HashA, old, record: r => { r.State = NodeStates.Trusted; r.LastEvidenceAt = Now.AddMinutes(-5); r.PendingVerdicts.Add(new PendingVerdict { Id = Guid.NewGuid(), Type = "NodeTrusted", Json = "{}", CreatedAt = Now.AddMinutes(-2) }); });
        Enrol(store, HashB, old, record: null); // enrolled, never attested: heard at its enrolment
        Enrol(store, c, Now.AddMinutes(-1), record: null);
        Enrol(store, d, old, record: r => { r.State = NodeStates.Terminated; r.LastEvidenceAt = old; });
        Enrol(store, e, old, record: r => { r.State = NodeStates.Silent; r.LastEvidenceAt = old; });
        using (IVerifierUnit unit = store.BeginNode(f))
        {
            // A record without an enrolled node: no state to count, nothing to silence, but what it owes counts.
            NodeAttestation r = unit.GetOrNewAttestation(Now);
            r.LastEvidenceAt = old;
            r.PendingVerdicts.Add(new PendingVerdict { Id = Guid.NewGuid(), Type = "NodeSilent", Json = "{}", CreatedAt = Now.AddMinutes(-3) });
            unit.Save(r);
            unit.Commit();
        }

        void Expect(IVerifierStore s, string[] quiet, Dictionary<string, long> byState, long owed, DateTime? oldest)
        {
            IReadOnlyList<QuietNode> q = s.QuietNodes(Now.AddMinutes(-3));
            Assert.Equal(quiet.Order(StringComparer.Ordinal), q.Select(n => n.TpmHash).Order(StringComparer.Ordinal));
            FleetCounts counts = s.CountFleet();
            Assert.Equal(byState.OrderBy(kv => kv.Key, StringComparer.Ordinal), counts.ByState.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key, StringComparer.Ordinal));
            Assert.Equal(owed, counts.Owed);
            Assert.Equal(oldest, counts.OldestOwed?.ToUniversalTime());
        }

        var states = new Dictionary<string, long> { [NodeStates.Trusted] = 1, [NodeStates.Pending] = 2, [NodeStates.Terminated] = 1, [NodeStates.Silent] = 1 };
        Expect(store, [HashA, HashB], states, 2, Now.AddMinutes(-3));
        Assert.Equal(Now.AddMinutes(-5), store.QuietNodes(Now.AddMinutes(-3)).Single(n => n.TpmHash == HashA).LastHeard.ToUniversalTime());
        Assert.Equal(old, store.QuietNodes(Now.AddMinutes(-3)).Single(n => n.TpmHash == HashB).LastHeard.ToUniversalTime());
        Assert.Equal([HashB], store.QuietNodes(Now.AddMinutes(-6)).Select(n => n.TpmHash));
        Assert.Equal([HashA, HashB], store.QuietNodes(Now.AddMinutes(-5)).Select(n => n.TpmHash).Order(StringComparer.Ordinal)); // at the limit: quiet

        // A unit that does not commit changes nothing.
        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            NodeAttestation r = unit.Attestation!;
            r.LastEvidenceAt = Now;
            r.State = NodeStates.Quarantined;
            unit.Save(r);
        }

        Expect(store, [HashA, HashB], states, 2, Now.AddMinutes(-3));

        // A heard again and its verdict confirmed; B deleted; f's event confirmed.
        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            NodeAttestation r = unit.Attestation!;
            r.LastEvidenceAt = Now;
            r.PendingVerdicts.Clear();
            unit.Save(r);
            unit.Commit();
        }

        using (IVerifierUnit unit = store.BeginNode(HashB))
        {
            Assert.True(unit.DeleteNode("operator", Now));
            unit.Commit();
        }

        states = new Dictionary<string, long> { [NodeStates.Trusted] = 1, [NodeStates.Pending] = 1, [NodeStates.Terminated] = 1, [NodeStates.Silent] = 1 };
        Expect(store, [], states, 1, Now.AddMinutes(-3));
        Assert.Equal([f], store.NodesWithPendingVerdicts());

        // What a fresh open reads from the database says the same.
        DisposeStores();
        Expect(Open(), [], states, 1, Now.AddMinutes(-3));
    }

    private static void Enrol(IVerifierStore store, string hash, DateTime at, Action<NodeAttestation>? record)
    {
        using IVerifierUnit unit = store.BeginNode(hash);
        unit.SaveNode(new VerifierNode { TpmHash = hash, EkPublic = [1], AkPublic = [2], AkName = [0, 11, 3], Hostname = "host-" + hash[0], EnrolledAt = at, CreatedAt = at, UpdatedAt = at });
        if (record is not null)
        {
            NodeAttestation r = unit.GetOrNewAttestation(at);
            record(r);
            unit.Save(r);
        }

        unit.Commit();
    }

    [StoreFact]
    public void Outbox_entries_commit_with_the_state_change_and_go_with_their_removal()
    {
        IVerifierStore store = Open();
        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            NodeAttestation rec = unit.GetOrNewAttestation(Now);
            rec.State = NodeStates.Quarantined;
            rec.PendingVerdicts.Add(new PendingVerdict { Id = Guid.NewGuid(), Type = "NodeQuarantined", Json = "{}", CreatedAt = Now });
            unit.Save(rec);
            unit.AddHistory(new HistoryRecord { TpmHash = HashA, At = Now, Verdict = "fail" });

            // Not visible to anyone before the commit: the outbox publisher must not see it early.
            Assert.Empty(store.NodesWithPendingVerdicts());
            Assert.Null(store.FindAttestation(HashA));
            unit.Commit();
        }

        Assert.Equal([HashA], store.NodesWithPendingVerdicts());
        Assert.Equal(NodeStates.Quarantined, store.FindAttestation(HashA)!.State);
        Assert.Single(store.History(HashA));

        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            NodeAttestation rec = unit.Attestation!;
            rec.PendingVerdicts.Clear();
            unit.Save(rec);
            unit.Commit();
        }

        Assert.Empty(store.NodesWithPendingVerdicts());
    }

    [StoreFact]
    public void A_unit_disposed_without_commit_writes_nothing()
    {
        IVerifierStore store = Open();
        var challenge = NewChallenge(HashA, Now.AddMinutes(2));
        store.AddChallenge(challenge);
        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            NodeAttestation rec = unit.GetOrNewAttestation(Now);
            rec.State = NodeStates.Trusted;
            rec.PendingVerdicts.Add(new PendingVerdict { Id = Guid.NewGuid(), Type = "NodeTrusted", Json = "{}", CreatedAt = Now });
            unit.Save(rec);
            unit.SaveNode(new VerifierNode { TpmHash = HashA, Hostname = "x" });
            unit.AddEnrolmentEvent(new VerifierEnrolmentEvent { TpmHash = HashA, Event = "added", At = Now });
            unit.AddHistory(new HistoryRecord { TpmHash = HashA, At = Now, Verdict = "pass" });
            unit.AddAudit("alice", "state", null, "trusted", Now);
            unit.SetSecret("COS_PERSISTENT", Passphrase, "alice", Now);
            unit.StoreLog(SHA256.HashData([1]), [1], Now);
            ChallengeRecord claimed = unit.FindChallenge(challenge.Id)!;
            claimed.UsedAt = Now;
            unit.PutChallenge(claimed);

            // The unit reads its own writes.
            Assert.NotNull(unit.FindLog(SHA256.HashData([1])));
            Assert.NotNull(unit.FindChallenge(challenge.Id)!.UsedAt);
        }

        Assert.Null(store.FindAttestation(HashA));
        Assert.Null(store.FindNode(HashA));
        Assert.Empty(store.EnrolmentEvents(HashA));
        Assert.Empty(store.History(HashA));
        Assert.Empty(store.Audit(HashA));
        Assert.Empty(store.SecretLabels(HashA));
        Assert.Null(store.FindLog(HashA, SHA256.HashData([1])));
        Assert.Null(store.FindChallenge(challenge.Id)!.UsedAt);
        Assert.Empty(store.NodesWithPendingVerdicts());

        // The node is free again: a new unit begins at once.
        using IVerifierUnit next = store.BeginNode(HashA);
        Assert.Null(next.Attestation);
    }

    [StoreFact]
    public void Challenges_round_trip_are_claimed_in_a_unit_and_expired_ones_are_pruned()
    {
        IVerifierStore store = Open();
        ChallengeRecord live = NewChallenge(HashA, Now.AddMinutes(2));
        live.ClockFloor = new ClockFloor { Clock = 77, ResetCount = 1, RestartCount = 2 };
        ChallengeRecord old = NewChallenge(HashA, Now.AddMinutes(-1));
        store.AddChallenge(live);
        store.AddChallenge(old);

        ChallengeRecord back = store.FindChallenge(live.Id)!;
        Assert.Equal(live.Nonce, back.Nonce);
        Assert.Equal(HashA, back.TpmHash);
        Assert.Equal([0, 7], back.Selection.Single(s => s.Bank == "sha256").Pcrs);
        Assert.Equal(77, back.ClockFloor!.Clock);
        Assert.Equal(live.ExpiresAt, back.ExpiresAt.ToUniversalTime());
        Assert.Null(back.UsedAt);

        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            ChallengeRecord claim = unit.FindChallenge(live.Id)!;
            claim.UsedAt = Now;
            claim.SubmissionDigest = [1, 2, 3];
            claim.ResultJson = "{\"verdict\":\"pass\"}";
            unit.PutChallenge(claim);
            ChallengeRecord next = NewChallenge(HashA, Now.AddMinutes(3));
            unit.PutChallenge(next);
            unit.Commit();
            Assert.NotNull(store.FindChallenge(next.Id));
        }

        ChallengeRecord used = store.FindChallenge(live.Id)!;
        Assert.Equal(Now, used.UsedAt!.Value.ToUniversalTime());
        Assert.Equal([1, 2, 3], used.SubmissionDigest);
        Assert.Equal("{\"verdict\":\"pass\"}", used.ResultJson);

        Assert.Equal(1, store.PruneChallenges(Now));
        Assert.Null(store.FindChallenge(old.Id));
        Assert.NotNull(store.FindChallenge(live.Id));
        Assert.Equal(0, store.PruneChallenges(Now));
        Assert.Null(store.FindChallenge(Guid.NewGuid()));
    }

    [StoreFact]
    public void History_is_newest_first_and_bounded_per_node()
    {
        IVerifierStore store = Open(new VerifierStoreOptions { HistoryLength = 3, SecretKey = _key });
        for (int i = 0; i < 5; i++)
        {
            using IVerifierUnit unit = store.BeginNode(HashA);
            unit.AddHistory(new HistoryRecord
            {
                TpmHash = HashA, At = Now.AddSeconds(i), ChallengeId = Guid.NewGuid(), Verdict = i % 2 == 0 ? "pass" : "fail",
                Codes = ["c" + i], Messages = ["m" + i], ResetCount = i, Clock = 1000 + i, Rebooted = i == 4,
            });
            unit.Commit();
        }

        using (IVerifierUnit unit = store.BeginNode(HashB))
        {
            unit.AddHistory(new HistoryRecord { TpmHash = HashB, At = Now, Verdict = "pass" });
            unit.Commit();
        }

        IReadOnlyList<HistoryRecord> history = store.History(HashA);
        Assert.Equal([4, 3, 2], history.Select(h => h.ResetCount));
        Assert.Equal(["c4"], history[0].Codes);
        Assert.Equal(["m4"], history[0].Messages);
        Assert.True(history[0].Rebooted);
        Assert.Equal(1004, history[0].Clock);
        Assert.True(history[0].Id > history[1].Id);
        Assert.Equal([4], store.History(HashA, 1).Select(h => h.ResetCount));
        Assert.Single(store.History(HashB));
    }

    [StoreFact]
    public void Audit_entries_are_kept_newest_first()
    {
        IVerifierStore store = Open();
        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            unit.AddAudit("alice", "pcr sha256:7", null, "ab", Now);
            unit.AddAudit("verifier", "state", "pending", "trusted", Now.AddSeconds(1));
            unit.Commit();
            Assert.Throws<InvalidOperationException>(unit.Commit);
        }

        IReadOnlyList<AuditRecord> audit = store.Audit(HashA);
        Assert.Equal(["state", "pcr sha256:7"], audit.Select(a => a.What));
        Assert.Equal("pending", audit[0].OldValue);
        Assert.Equal("trusted", audit[0].NewValue);
        Assert.Equal("alice", audit[1].Actor);
        Assert.Null(audit[1].OldValue);
        Assert.Equal(Now, audit[1].At.ToUniversalTime());
        Assert.Single(store.Audit(HashA, 1));
        Assert.Empty(store.Audit(HashB));
    }

    [StoreFact]
    public void Event_logs_are_found_by_digest_and_the_least_recently_used_beyond_the_limit_go()
    {
        IVerifierStore store = Open(new VerifierStoreOptions { LogsPerNode = 2, SecretKey = _key });
        byte[][] logs = [[1, 1], [2, 2], [3, 3]];
        for (int i = 0; i < 2; i++)
        {
            using IVerifierUnit unit = store.BeginNode(HashA);
            unit.StoreLog(SHA256.HashData(logs[i]), logs[i], Now.AddHours(i * 2));
            unit.Commit();
        }

        EventLogRecord first = store.FindLog(HashA, SHA256.HashData(logs[0]))!;
        Assert.Equal(logs[0], first.Log);
        Assert.Equal(SHA256.HashData(logs[0]), first.Sha256);
        Assert.Equal(HashA, first.TpmHash);
        Assert.Null(store.FindLog(HashB, SHA256.HashData(logs[0])));

        // A use within the touch interval writes nothing; one after it moves LastUsedAt, so the
        // older-stored log is now the most recently used and survives the third.
        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            EventLogRecord log = unit.FindLog(SHA256.HashData(logs[0]))!;
            unit.TouchLog(log, Now.AddMinutes(30));
            unit.Commit();
        }

        Assert.Equal(Now, store.FindLog(HashA, SHA256.HashData(logs[0]))!.LastUsedAt.ToUniversalTime());
        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            unit.TouchLog(unit.FindLog(SHA256.HashData(logs[0]))!, Now.AddHours(3));
            unit.Commit();
        }

        Assert.Equal(Now.AddHours(3), store.FindLog(HashA, SHA256.HashData(logs[0]))!.LastUsedAt.ToUniversalTime());
        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            unit.StoreLog(SHA256.HashData(logs[2]), logs[2], Now.AddHours(4));
            unit.Commit();
        }

        Assert.NotNull(store.FindLog(HashA, SHA256.HashData(logs[0])));
        Assert.Null(store.FindLog(HashA, SHA256.HashData(logs[1])));
        Assert.NotNull(store.FindLog(HashA, SHA256.HashData(logs[2])));
    }

    [StoreFact]
    public void Secrets_are_sealed_at_rest_and_open_only_under_the_key()
    {
        IVerifierStore store = Open();
        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            unit.SetSecret("COS_PERSISTENT", Passphrase, "alice", Now);
            unit.SetSecret("COS_OEM", [1, 2, 3], "alice", Now);
            unit.Commit();
        }

        Assert.Equal(["COS_OEM", "COS_PERSISTENT"], store.SecretLabels(HashA));
        Assert.Equal(Passphrase, store.OpenSecret(HashA, "COS_PERSISTENT"));
        Assert.Null(store.OpenSecret(HashA, "NONE"));
        SecretRecord record = store.FindSecret(HashA, "COS_PERSISTENT")!;
        Assert.True(record.IsSealed);
        Assert.Empty(record.Value);
        Assert.DoesNotContain(store.Audit(HashA), a => a.NewValue?.Contains("horse", StringComparison.Ordinal) == true);
        Assert.Equal(["secret COS_OEM", "secret COS_PERSISTENT"], store.Audit(HashA).Select(a => a.What).Order(StringComparer.Ordinal));

        // Replacing it is audited as a change.
        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            unit.SetSecret("COS_PERSISTENT", Passphrase, "bob", Now);
            unit.Commit();
        }

        Assert.Equal("set", store.Audit(HashA, 1)[0].OldValue);
        DisposeStores();

        // Another verifier's key (a copied database) opens nothing; no key at all cannot read or set.
        using (var other = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256))
        using (SecretAtRestKey otherKey = SecretAtRestKey.DeriveFrom(other))
        {
            IVerifierStore copy = Open(new VerifierStoreOptions { SecretKey = otherKey });
            Assert.Throws<CryptographicException>(() => copy.OpenSecret(HashA, "COS_PERSISTENT"));
            DisposeStores();
        }

        IVerifierStore keyless = Open(new VerifierStoreOptions());
        Assert.Equal(["COS_OEM", "COS_PERSISTENT"], keyless.SecretLabels(HashA));
        Assert.Throws<InvalidOperationException>(() => keyless.OpenSecret(HashA, "COS_PERSISTENT"));
        using (IVerifierUnit unit = keyless.BeginNode(HashA))
        {
            Assert.Throws<InvalidOperationException>(() => unit.SetSecret("X", [1], "alice", Now));
        }

        DisposeStores();

        // Neither the passphrase nor its base64 (documents may be JSON) is anywhere in the database.
        byte[] raw = RawContent();
        Assert.True(raw.Length > 0);
        Assert.Equal(-1, raw.AsSpan().IndexOf(Passphrase));
        Assert.Equal(-1, raw.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Convert.ToBase64String(Passphrase)[..24])));
    }

    [StoreFact]
    public void Deleting_a_node_forgets_everything_but_its_audit_and_enrolment_events()
    {
        IVerifierStore store = Open();
        ChallengeRecord challenge = NewChallenge(HashA, Now.AddMinutes(2));
        store.AddChallenge(challenge);
        ChallengeRecord otherNode = NewChallenge(HashB, Now.AddMinutes(2));
        store.AddChallenge(otherNode);
        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            unit.SaveNode(new VerifierNode { TpmHash = HashA, Hostname = "a" });
            unit.AddEnrolmentEvent(new VerifierEnrolmentEvent { TpmHash = HashA, Event = "added", At = Now });
            NodeAttestation rec = unit.GetOrNewAttestation(Now);
            rec.PendingVerdicts.Add(new PendingVerdict { Id = Guid.NewGuid(), Type = "NodeTrusted", Json = "{}", CreatedAt = Now });
            unit.Save(rec);
            unit.SetSecret("COS_PERSISTENT", Passphrase, "alice", Now);
            unit.StoreLog(SHA256.HashData([5]), [5], Now);
            unit.AddHistory(new HistoryRecord { TpmHash = HashA, At = Now, Verdict = "pass" });
            unit.Commit();
        }

        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            Assert.True(unit.DeleteNode("alice", Now));
            Assert.Null(unit.FindChallenge(challenge.Id));
            unit.Commit();
        }

        Assert.Null(store.FindNode(HashA));
        Assert.Null(store.FindAttestation(HashA));
        Assert.Empty(store.AllAttestations());
        Assert.Empty(store.NodesWithPendingVerdicts());
        Assert.Empty(store.SecretLabels(HashA));
        Assert.Null(store.FindLog(HashA, SHA256.HashData([5])));
        Assert.Empty(store.History(HashA));
        Assert.Null(store.FindChallenge(challenge.Id));
        Assert.NotNull(store.FindChallenge(otherNode.Id));
        Assert.Single(store.EnrolmentEvents(HashA));
        AuditRecord deleted = store.Audit(HashA, 1)[0];
        Assert.Equal(("node", "present", "deleted"), (deleted.What, deleted.OldValue, deleted.NewValue));

        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            Assert.Null(unit.Attestation);
            Assert.False(unit.DeleteNode("alice", Now));
            unit.Commit();
        }
    }

    [StoreFact]
    public void A_second_unit_of_a_node_waits_for_the_first_and_other_nodes_do_not()
    {
        IVerifierStore first = Open();
        IVerifierStore second = SeveralInstances ? Open() : first;
        IVerifierUnit held = first.BeginNode(HashA);
        try
        {
            NodeAttestation rec = held.GetOrNewAttestation(Now);
            rec.AttestationsPassed = 1;
            held.Save(rec);

            Task<int> waiting = Task.Run(() =>
            {
                using IVerifierUnit unit = second.BeginNode(HashA);
                return unit.Attestation?.AttestationsPassed ?? -1;
            });

            // A different node is not held up.
            Task<bool> other = Task.Run(() =>
            {
                using IVerifierUnit unit = second.BeginNode(HashB);
                return unit.Attestation is null;
            });
            Assert.True(other.Wait(TimeSpan.FromSeconds(30)));
            Assert.True(other.Result);

            Assert.False(waiting.Wait(TimeSpan.FromMilliseconds(500)), "a second unit of the node began while the first held it");
            held.Commit();
            held.Dispose();

            // It waited, and then read what the first committed.
            Assert.True(waiting.Wait(TimeSpan.FromSeconds(30)));
            Assert.Equal(1, waiting.Result);
        }
        finally
        {
            held.Dispose();
        }
    }

    [StoreFact]
    public void Concurrent_read_modify_write_units_of_one_node_lose_no_update()
    {
        IVerifierStore[] stores = SeveralInstances ? [Open(), Open()] : [Open()];
        const int Threads = 4;
        const int Each = 25;
        Task[] tasks = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
        {
            IVerifierStore store = stores[t % stores.Length];
            for (int i = 0; i < Each; i++)
            {
                using IVerifierUnit unit = store.BeginNode(HashA);
                NodeAttestation rec = unit.GetOrNewAttestation(Now);
                int seen = rec.AttestationsPassed;
                Thread.Yield();
                rec.AttestationsPassed = seen + 1;
                unit.Save(rec);
                unit.AddHistory(new HistoryRecord { TpmHash = HashA, At = Now, Verdict = "pass", ResetCount = seen });
                unit.Commit();
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        Assert.True(Task.WaitAll(tasks, TimeSpan.FromMinutes(2)));

        Assert.Equal(Threads * Each, stores[0].FindAttestation(HashA)!.AttestationsPassed);

        // Each unit saw the one before it: every count was read exactly once.
        Assert.Equal(Enumerable.Range(0, Threads * Each).Reverse(), stores[^1].History(HashA).Select(h => (int)h.ResetCount));
    }

    [StoreFact]
    public void A_challenge_issued_by_one_instance_is_answered_on_another_and_a_redelivery_finds_the_claim()
    {
        // Issued inside a node's unit (as after a verdict) by one instance, and one on request.
        IVerifierStore issuer = Open();
        ChallengeRecord next = NewChallenge(HashA, Now.AddMinutes(2));
        ChallengeRecord requested = NewChallenge(HashA, Now.AddMinutes(2));
        using (IVerifierUnit unit = issuer.BeginNode(HashA))
        {
            unit.PutChallenge(next);
            unit.Commit();
        }

        issuer.AddChallenge(requested);

        // Another instance (PostgreSQL), or the same file reopened by the next process (LiteDB).
        if (!SeveralInstances)
        {
            DisposeStores();
        }

        IVerifierStore other = Open();
        using (IVerifierUnit unit = other.BeginNode(HashA))
        {
            ChallengeRecord claim = unit.FindChallenge(next.Id)!;
            Assert.Equal(next.Nonce, claim.Nonce);
            Assert.Null(claim.UsedAt);
            claim.UsedAt = Now;
            claim.SubmissionDigest = [9];
            claim.ResultJson = "{}";
            unit.PutChallenge(claim);
            unit.PutChallenge(NewChallenge(HashA, Now.AddMinutes(3)));
            unit.Commit();
        }

        IVerifierStore reader = SeveralInstances ? issuer : other;
        using (IVerifierUnit unit = reader.BeginNode(HashA))
        {
            Assert.Equal([9], unit.FindChallenge(next.Id)!.SubmissionDigest);
            Assert.Null(unit.FindChallenge(requested.Id)!.UsedAt);
        }
    }

    [StoreFact]
    public void What_was_committed_is_there_after_reopening()
    {
        IVerifierStore store = Open();
        using (IVerifierUnit unit = store.BeginNode(HashA))
        {
            NodeAttestation rec = unit.GetOrNewAttestation(Now);
            rec.State = NodeStates.Trusted;
            unit.Save(rec);
            unit.SetSecret("COS_PERSISTENT", Passphrase, "alice", Now);
            unit.Commit();
        }

        DisposeStores();
        IVerifierStore reopened = Open();
        Assert.Equal(NodeStates.Trusted, reopened.FindAttestation(HashA)!.State);
        Assert.Equal(Passphrase, reopened.OpenSecret(HashA, "COS_PERSISTENT"));
    }

    protected static ChallengeRecord NewChallenge(string tpmHash, DateTime expiresAt) => new()
    {
        Id = Guid.NewGuid(),
        TpmHash = tpmHash,
        Nonce = RandomNumberGenerator.GetBytes(32),
        Selection = [new BankSelectionRecord { Bank = "sha256", Pcrs = [0, 7] }],
        IssuedAt = expiresAt.AddMinutes(-2),
        ExpiresAt = expiresAt,
    };
}
