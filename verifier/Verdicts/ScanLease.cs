using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Verdicts;

/// <summary>
/// The store lease under which one verifier of several sharing a store runs the fleet-wide scans: the
/// silence scan (with the challenge pruning) and the outbox's look for verdicts another instance staged
/// and did not publish. Both were safe on every instance (each node is re-checked under its lock, a
/// verdict is published at least once with one message id), but N instances did the same full scans N
/// times. A holder renews at each scan; a killed holder's lease lapses after its time to live and the
/// next instance to ask takes it over. Instances' clocks are compared through the expiry: a clock far
/// off can make two instances hold it at once, which costs duplicate scans, not wrong verdicts.
/// </summary>
public sealed class ScanLease(IVerifierStore store, TimeProvider time)
{
    /// <summary>The lease's name in the store.</summary>
    public const string Name = "scans";

    private long _heldUntilTicks;

    /// <summary>This process in the store's lease table.</summary>
    public string Holder { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    /// <summary>Whether this process holds the lease now, as of its last <see cref="TryHold"/>.</summary>
    public bool Held => time.GetUtcNow().UtcDateTime.Ticks < Volatile.Read(ref _heldUntilTicks);

    /// <summary>Takes or renews the lease for <paramref name="ttl"/>; false while another instance holds it.</summary>
    public bool TryHold(TimeSpan ttl)
    {
        DateTime now = time.GetUtcNow().UtcDateTime;
        bool held = store.TryHoldLease(Name, Holder, ttl, now);
        Volatile.Write(ref _heldUntilTicks, held ? (now + ttl).Ticks : 0);
        return held;
    }
}
