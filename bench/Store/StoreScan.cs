using System.Diagnostics;
using System.Globalization;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Bench.Store;

/// <summary>
/// <c>bench -- store --scan --store SETTING</c>: what the fleet-wide readers cost on an existing store
/// (opened read-only), in process: the silence scan's read as it was (every record and every node) beside
/// <see cref="IVerifierStore.QuietNodes"/> (the first call builds LiteDB's in-memory index),
/// <see cref="IVerifierStore.CountFleet"/> and <see cref="IVerifierStore.NodesWithPendingVerdicts"/>.
/// Wall time, the process's CPU time and the managed heap after each.
/// </summary>
internal static class StoreScan
{
    public static int Run(string setting)
    {
        using IVerifierStore store = VerifierStores.Open(setting, new VerifierStoreOptions { ReadOnly = true });
        DateTime until = DateTime.UtcNow.AddMinutes(-3);
        for (int i = 0; i < 2; i++)
        {
            Time("AllAttestations + ListNodes (the scan's read before 9934f8f)", () => store.AllAttestations().Count + store.ListNodes().Count);
        }

        for (int i = 0; i < 3; i++)
        {
            Time(i == 0 ? "QuietNodes, first call" : "QuietNodes", () => store.QuietNodes(until).Count);
        }

        Time("CountFleet", () => (int)store.CountFleet().ByState.Values.Sum());
        Time("NodesWithPendingVerdicts", () => store.NodesWithPendingVerdicts().Count);
        return 0;
    }

    private static void Time(string what, Func<int> read)
    {
        using Process self = Process.GetCurrentProcess();
        TimeSpan cpu0 = self.TotalProcessorTime;
        Stopwatch wall = Stopwatch.StartNew();
        int items = read();
        self.Refresh();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scan: {what}: {items} items, wall {wall.Elapsed.TotalMilliseconds:F0} ms, CPU {(self.TotalProcessorTime - cpu0).TotalMilliseconds:F0} ms, heap {GC.GetTotalMemory(false) / 1048576} MiB"));
    }
}
