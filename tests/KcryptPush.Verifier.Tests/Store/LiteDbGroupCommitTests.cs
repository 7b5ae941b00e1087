using System.Security.Cryptography;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests.Store;

/// <summary>
/// The embedded store commits concurrent units together (one LiteDB transaction, one fsync): each
/// unit's writes must still be committed before its Commit returns, all or nothing, and one unit's
/// failure must not take the units batched with it.
/// </summary>
[Trait("Category", "Unit")]
public sealed class LiteDbGroupCommitTests : IDisposable
{
    private static readonly DateTime Now = new(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-groupcommit-").FullName;

    private string DbPath => Path.Combine(_dir, "verifier.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Concurrent_units_are_each_committed_when_their_commit_returns()
    {
        const int threads = 16, rounds = 40;
        string[] hashes = Enumerable.Range(0, threads).Select(Hash).ToArray();
        var returned = new int[threads];
        using (var store = new LiteDbVerifierStore(DbPath))
        {
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                for (int i = 0; i < rounds; i++)
                {
                    using IVerifierUnit unit = store.BeginNode(hashes[t]);
                    NodeAttestation rec = unit.GetOrNewAttestation(Now);
                    rec.AttestationsPassed++;
                    unit.Save(rec);
                    unit.AddHistory(new HistoryRecord { TpmHash = hashes[t], At = Now.AddSeconds(i), Verdict = "pass", Clock = i });
                    unit.Commit();

                    // What returned from Commit is visible to any reader at once.
                    Assert.Equal(i + 1, store.FindAttestation(hashes[t])!.AttestationsPassed);
                    returned[t]++;
                }
            });
        }

        // And durable: a fresh open of the file holds every unit.
        using var reopened = new LiteDbVerifierStore(DbPath);
        for (int t = 0; t < threads; t++)
        {
            Assert.Equal(rounds, returned[t]);
            Assert.Equal(rounds, reopened.FindAttestation(hashes[t])!.AttestationsPassed);
            Assert.Equal(Enumerable.Range(0, rounds).Reverse().Select(i => (long)i), reopened.History(hashes[t]).Select(h => h.Clock));
        }
    }

    [Fact]
    public void A_failing_unit_fails_alone_and_writes_nothing_while_the_others_commit()
    {
        const int threads = 8, rounds = 30;
        string[] hashes = Enumerable.Range(0, threads).Select(Hash).ToArray();
        long takenId;
        using (var store = new LiteDbVerifierStore(DbPath))
        {
            using (IVerifierUnit first = store.BeginNode(hashes[0]))
            {
                first.AddHistory(new HistoryRecord { TpmHash = hashes[0], At = Now, Verdict = "pass" });
                first.Commit();
            }

            takenId = store.History(hashes[0]).Single().Id;
            int failures = 0;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                for (int i = 0; i < rounds; i++)
                {
                    using IVerifierUnit unit = store.BeginNode(hashes[t]);
                    NodeAttestation rec = unit.GetOrNewAttestation(Now);
                    rec.AttestationsPassed++;
                    unit.Save(rec);
                    bool poisoned = t == 1 && i % 3 == 0;

                    // An id that exists already: LiteDB refuses the insert, so this unit's transaction fails.
                    unit.AddHistory(new HistoryRecord { Id = poisoned ? takenId : 0, TpmHash = hashes[t], At = Now, Verdict = "pass" });
                    if (poisoned)
                    {
                        Assert.ThrowsAny<Exception>(unit.Commit);
                        Interlocked.Increment(ref failures);
                    }
                    else
                    {
                        unit.Commit();
                    }
                }
            });

            Assert.Equal(10, failures);
        }

        using var reopened = new LiteDbVerifierStore(DbPath);
        for (int t = 0; t < threads; t++)
        {
            // Node 1's failed units wrote nothing: neither their state nor their history.
            int committed = t == 1 ? rounds - 10 : rounds;
            Assert.Equal(committed, reopened.FindAttestation(hashes[t])!.AttestationsPassed);
        }

        Assert.Equal(20, reopened.History(hashes[1]).Count);
        Assert.Equal(rounds + 1, reopened.History(hashes[0]).Count);
    }

    [Fact]
    public void What_a_commit_returned_is_in_the_files_a_killed_process_would_leave()
    {
        // A copy of the files taken when Commit returns holds what the kernel was given: what a SIGKILL
        // at that moment would leave. LiteDB hands a commit's pages to a background writer, so without
        // more the copy can miss the commit the verifier already answered for.
        string hash = Hash(1);
        using var store = new LiteDbVerifierStore(DbPath);
        for (int i = 1; i <= 30; i++)
        {
            using (IVerifierUnit unit = store.BeginNode(hash))
            {
                NodeAttestation rec = unit.GetOrNewAttestation(Now);
                rec.AttestationsPassed = i;
                unit.Save(rec);
                unit.Commit();
            }

            string copy = Path.Combine(_dir, "copy-" + i);
            Directory.CreateDirectory(copy);
            foreach (string f in Directory.GetFiles(_dir).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)))
            {
                File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
            }

            using var copied = new LiteDbVerifierStore(Path.Combine(copy, "verifier.db"), new VerifierStoreOptions { ReadOnly = true });
            Assert.Equal(i, copied.FindAttestation(hash)?.AttestationsPassed);
        }
    }

    private static string Hash(int i) => Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i)));
}
