using KcryptPush.Http;
using KcryptPush.Registrar.Store;

namespace KcryptPush.Registrar.Http;

/// <summary>
/// <c>store</c> of the registrar's /readyz: the store can be written. LiteDB: the file check of
/// <see cref="StoreReadinessCheck"/>. PostgreSQL: <see cref="ProbedStoreReadinessCheck"/> with a write
/// through the store's own API that changes nothing (purging the challenges that expired before year 1).
/// </summary>
public sealed class RegistrarStoreReadinessCheck : IReadinessCheck
{
    /// <summary>How often the database is probed at most.</summary>
    public static readonly TimeSpan ProbeInterval = ProbedStoreReadinessCheck.ProbeInterval;

    /// <summary>How long a request waits for the very first probe.</summary>
    public static readonly TimeSpan FirstProbeWait = ProbedStoreReadinessCheck.FirstProbeWait;

    // null: a database setting whose store is not open yet.
    private readonly IReadinessCheck? _check;

    /// <summary>Checks the store <paramref name="setting"/> names; <paramref name="store"/> is the opened one (null: not opened yet).</summary>
    public RegistrarStoreReadinessCheck(IRegistrarStore? store, string setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        string? path = store is LiteDbRegistrarStore l ? l.Path : RegistrarStores.LiteDbPath(setting);
        _check = path is not null ? new StoreReadinessCheck(path)
            : store is null ? null
            : new ProbedStoreReadinessCheck(store.Description, () => store.PurgeChallenges(DateTime.MinValue, TimeSpan.Zero));
    }

    /// <inheritdoc/>
    public string Name => "store";

    /// <inheritdoc/>
    public ReadinessResult Check() => _check?.Check() ?? ReadinessResult.Fail("the store is not open yet");
}
