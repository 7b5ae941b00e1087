using KcryptPush.Registrar.Store;
using KcryptPush.Verifier.Tests.Store;

namespace KcryptPush.Registrar.Tests.Store;

/// <summary>
/// The registrar's embedded store on a disk that fills: LiteDB 5 closes its engine for good when a write
/// fails, and a checkpoint already waiting on it used to wait for ever (the verifier's store met it), so
/// the store must fail the write promptly, fail every later unit at once, tell its owner once (the
/// service then exits for systemd to restart it) and leave the file as it was before the failed write.
/// The disk is <see cref="FillingDisk"/>: streams whose writes fail like ENOSPC.
/// </summary>
[Trait("Category", "Unit")]
public sealed class LiteDbFailedWriteTests : IDisposable
{
    private static readonly DateTime Now = new(2026, 12, 8, 1, 0, 0, DateTimeKind.Utc);
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-rfail-").FullName;
    private readonly FillingDisk _disk;

    public LiteDbFailedWriteTests() => _disk = new FillingDisk(DbPath);

    private string DbPath => Path.Combine(_dir, "registrar.db");

    public void Dispose()
    {
        // A failed engine that became garbage would have its open transactions finalized, and LiteDB's
        // finalizer throws on the finalizer thread, ending the process: collected here so that it would happen in this test.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        _disk.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void A_write_on_a_full_disk_fails_the_store_promptly_for_good_tells_the_owner_once_and_keeps_what_committed_before()
    {
        var told = new List<Exception>();
        var store = new LiteDbRegistrarStore(DbPath, readOnly: false, onFailure: told.Add, openEngine: _disk.Open);
        Enrol(store, Hash('a'));

        _disk.Full = true;
        var started = DateTime.UtcNow;
        var failed = Assert.Throws<RegistrarStoreFailedException>(() => Enrol(store, Hash('b')));
        // Well inside the store's 30 s bound: LiteDB's closed engine is seen, not waited out.
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), $"the failed write took {DateTime.UtcNow - started}");
        Assert.Contains("No space left on device", failed.Message, StringComparison.Ordinal);
        Assert.Contains("must be restarted", failed.Message, StringComparison.Ordinal);
        Assert.Contains(DbPath, failed.Message, StringComparison.Ordinal);
        Assert.NotNull(store.Failure);

        // Failed for good in this process, even with room again: every unit and write fails at once,
        // and the owner was told once.
        _disk.Full = false;
        Assert.Throws<RegistrarStoreFailedException>(() => store.BeginNode(Hash('c')));
        Assert.Throws<RegistrarStoreFailedException>(() => store.PurgeChallenges(Now, TimeSpan.FromHours(1)));
        Assert.Throws<RegistrarStoreFailedException>(() => store.AddRejections(new Dictionary<string, long> { ["x"] = 1 }, Now));
        Exception cause = Assert.Single(told);
        Assert.Contains("No space left on device", cause.Message, StringComparison.Ordinal);
        store.Dispose();

        // A restart opens the file again: what committed before the failure is there, the failed write is not.
        using var reopened = new LiteDbRegistrarStore(DbPath);
        Assert.NotNull(reopened.FindNode(Hash('a')));
        Assert.Null(reopened.FindNode(Hash('b')));
        Enrol(reopened, Hash('d'));
        Assert.NotNull(reopened.FindNode(Hash('d')));
    }

    [Fact]
    public void A_conflict_is_not_a_failure_of_the_store()
    {
        var told = new List<Exception>();
        using var store = new LiteDbRegistrarStore(DbPath, readOnly: false, onFailure: told.Add, openEngine: _disk.Open);
        var challenge = new ChallengeRecord { Id = Guid.NewGuid(), TpmHash = Hash('a'), RegistrationId = Guid.NewGuid(), ExpiresAt = Now.AddMinutes(5), IssuedAt = Now, Secret = [1] };
        using (IRegistrarUnit unit = store.BeginNode(Hash('a')))
        {
            unit.PutChallenge(challenge);
            unit.Commit();
        }

        // The same challenge inserted again by a unit that never read it: a conflict, rolled back.
        using (IRegistrarUnit again = store.BeginNode(Hash('a')))
        {
            again.PutChallenge(new ChallengeRecord { Id = challenge.Id, TpmHash = Hash('a'), RegistrationId = Guid.NewGuid(), ExpiresAt = Now.AddMinutes(5), IssuedAt = Now, Secret = [2] });
            Assert.Throws<RegistrarStoreConflictException>(again.Commit);
        }

        Assert.Null(store.Failure);
        Assert.Empty(told);
        Enrol(store, Hash('b'));
    }

    private static string Hash(char c) => new(c, 64);

    private static void Enrol(IRegistrarStore store, string tpmHash)
    {
        using IRegistrarUnit unit = store.BeginNode(tpmHash);
        unit.SaveNode(new NodeRecord
        {
            TpmHash = tpmHash, EkPublic = [1, 2], EkCertificate = [9, 9], EkTrust = "ek-certificate", AkPublic = [3, 4], AkName = [0, 11, 5],
            Hostname = "host-" + tpmHash[0], State = NodeState.Enrolled, CreatedAt = Now, UpdatedAt = Now, EnrolledAt = Now,
        });
        unit.Commit();
    }
}
