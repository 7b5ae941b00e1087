using KcryptPush.Http;
using KcryptPush.Registrar.Store;

namespace KcryptPush.Registrar.Http;

/// <summary>
/// <c>store</c> of the registrar's /readyz: the store can be written. LiteDB: the file check of
/// <see cref="StoreReadinessCheck"/>. PostgreSQL: a write through the store's own API that changes
/// nothing (purging the challenges that expired before year 1), which fails on a read-only standby, a
/// lost connection or revoked rights; it runs in the background at most every <see cref="ProbeInterval"/>,
/// so /readyz waits on the database at most <see cref="FirstProbeWait"/>, and only before the first probe.
/// </summary>
public sealed class RegistrarStoreReadinessCheck : IReadinessCheck
{
    /// <summary>How often the database is probed at most.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long a request waits for the very first probe.</summary>
    public static readonly TimeSpan FirstProbeWait = TimeSpan.FromSeconds(2);

    private readonly IRegistrarStore? _store;
    private readonly StoreReadinessCheck? _file;
    private readonly Lock _gate = new();
    private ReadinessResult? _last;
    private DateTime _probedAt;
    private Task? _probe;

    /// <summary>Checks the store <paramref name="setting"/> names; <paramref name="store"/> is the opened one (null: not opened yet).</summary>
    public RegistrarStoreReadinessCheck(IRegistrarStore? store, string setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        _store = store;
        string? path = store is LiteDbRegistrarStore l ? l.Path : RegistrarStores.LiteDbPath(setting);
        _file = path is null ? null : new StoreReadinessCheck(path);
    }

    /// <inheritdoc/>
    public string Name => "store";

    /// <inheritdoc/>
    public ReadinessResult Check()
    {
        if (_file is not null)
        {
            return _file.Check();
        }

        if (_store is null)
        {
            return ReadinessResult.Fail("the store is not open yet");
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
            _store!.PurgeChallenges(DateTime.MinValue, TimeSpan.Zero);
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
