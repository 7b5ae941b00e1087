using KcryptPush.Http;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Http;

/// <summary>
/// <c>store</c> of the verifier's /readyz: the store can be written. LiteDB (or no store registered
/// yet): the file check of <see cref="StoreReadinessCheck"/>, and for an open store its last commit
/// (<see cref="LiteDbVerifierStore.CommitFailure"/>): a file system with room again does not mean the
/// store commits, so it stays not ready until a unit has committed. PostgreSQL: <see cref="ProbedStoreReadinessCheck"/>
/// with a write through the store's own API that changes nothing (pruning the challenges that expired
/// before year 1).
/// </summary>
public sealed class VerifierStoreReadinessCheck : IReadinessCheck
{
    /// <summary>How often the database is probed at most.</summary>
    public static readonly TimeSpan ProbeInterval = ProbedStoreReadinessCheck.ProbeInterval;

    /// <summary>How long a request waits for the very first probe.</summary>
    public static readonly TimeSpan FirstProbeWait = ProbedStoreReadinessCheck.FirstProbeWait;

    private readonly IReadinessCheck _check;

    /// <summary>Checks <paramref name="store"/>, or the file <paramref name="liteDbPath"/> when the store is LiteDB or null.</summary>
    public VerifierStoreReadinessCheck(IVerifierStore? store, string liteDbPath)
    {
        _check = store switch
        {
            LiteDbVerifierStore l => new CommittingLiteDbCheck(l),
            null => new StoreReadinessCheck(liteDbPath),
            _ => new ProbedStoreReadinessCheck(store.Description, () => store.PruneChallenges(DateTime.MinValue)),
        };
    }

    /// <inheritdoc/>
    public string Name => "store";

    /// <inheritdoc/>
    public ReadinessResult Check() => _check.Check();

    private sealed class CommittingLiteDbCheck(LiteDbVerifierStore store) : IReadinessCheck
    {
        private readonly StoreReadinessCheck _file = new(store.Path);

        public string Name => "store";

        public ReadinessResult Check()
        {
            ReadinessResult file = _file.Check();
            return !file.Ready || store.CommitFailure is not { } failure
                ? file
                : ReadinessResult.Fail($"{store.Path}: the last commit failed: {failure.GetType().Name}: {failure.Message}");
        }
    }
}
