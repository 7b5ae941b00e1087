using KcryptPush.Http;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Http;

/// <summary>
/// <c>store</c> of the verifier's /readyz: the store can be written. LiteDB (or no store registered
/// yet): the file check of <see cref="StoreReadinessCheck"/>. PostgreSQL: a write through the store's
/// own API that changes nothing (pruning the challenges that expired before year 1), which fails on a
/// read-only standby, a lost connection or revoked rights; it runs in the background at most every
/// <see cref="ProbeInterval"/>, so /readyz never waits on the database for longer than
/// <see cref="FirstProbeWait"/> (only before the first probe finished).
/// </summary>
public sealed class VerifierStoreReadinessCheck : IReadinessCheck
{
    /// <summary>How often the database is probed at most.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long a request waits for the very first probe.</summary>
    public static readonly TimeSpan FirstProbeWait = TimeSpan.FromSeconds(2);

    private readonly IVerifierStore? _store;
    private readonly StoreReadinessCheck _file;
    private readonly Lock _gate = new();
    private ReadinessResult? _last;
    private DateTime _probedAt;
    private Task? _probe;

    /// <summary>Checks <paramref name="store"/>, or the file <paramref name="liteDbPath"/> when the store is LiteDB or null.</summary>
    public VerifierStoreReadinessCheck(IVerifierStore? store, string liteDbPath)
    {
        _store = store;
        _file = new StoreReadinessCheck(store is LiteDbVerifierStore l ? l.Path : liteDbPath);
    }

    /// <inheritdoc/>
    public string Name => "store";

    /// <inheritdoc/>
    public ReadinessResult Check()
    {
        if (_store is null or LiteDbVerifierStore)
        {
            return _file.Check();
        }

        Task? running;
        lock (_gate)
        {
            if (_probe is null && DateTime.UtcNow - _probedAt >= ProbeInterval)
            {
                _probe = Task.Run(Probe);
            }

            running = _probe;
            if (_last is { } known)
            {
                return known;
            }
        }

        running?.Wait(FirstProbeWait);
        lock (_gate)
        {
            return _last ?? ReadinessResult.Fail($"{_store.Description}: no answer within {FirstProbeWait.TotalSeconds:0} s");
        }
    }

    private void Probe()
    {
        ReadinessResult result;
        try
        {
            _store!.PruneChallenges(DateTime.MinValue);
            result = ReadinessResult.Pass($"{_store.Description} writable");
        }
#pragma warning disable CA1031 // whatever the database throws makes the service unready, with its message
        catch (Exception e)
#pragma warning restore CA1031
        {
            result = ReadinessResult.Fail($"{_store!.Description}: {e.GetType().Name}: {e.Message}");
        }

        lock (_gate)
        {
            _last = result;
            _probedAt = DateTime.UtcNow;
            _probe = null;
        }
    }
}
