using System.Collections.Concurrent;
using LiteDB;

namespace KcryptPush.Storage;

/// <summary>
/// LiteDB engines that failed a write, kept reachable for the life of the process instead of disposed.
/// A failed engine leaves transactions open (one per thread that met the failure), and LiteDB 5.0.20's
/// TransactionService finalizer then throws ("discarded page must be writable") on the finalizer thread,
/// which ends the process (seen: the test host crashed at a GC after LiteDbReopenTests); its calls may
/// also never return. A few MB per failure, kept instead.
/// </summary>
public static class LiteDbFailedEngines
{
    private static readonly ConcurrentBag<LiteDatabase> Kept = [];

    /// <summary>Keeps <paramref name="db"/> reachable (never disposed).</summary>
    public static void Keep(LiteDatabase db) => Kept.Add(db);
}
