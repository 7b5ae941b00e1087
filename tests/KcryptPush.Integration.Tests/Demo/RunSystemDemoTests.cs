using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tests;

namespace KcryptPush.Integration.Tests.Demo;

/// <summary>
/// scripts/run-system.sh as an operator runs it: three agents on swtpm, one of which reboots into
/// another boot application once Trusted; the fleet shows two nodes Trusted and that one Quarantined
/// with the failing PCR, the status URL is written, <c>status</c> prints the table, <c>stop</c> leaves
/// no process behind.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RunSystemDemoTests : IDisposable
{
    private static readonly string Script = Path.Combine(RepoPaths.Root, "scripts", "run-system.sh");
    private readonly string _dir = Directory.CreateTempSubdirectory("kcrypt-demo-").FullName;

    public void Dispose()
    {
        ProcessRunner.Run(Script, ["stop", "-d", _dir], timeout: TimeSpan.FromMinutes(1));
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void The_demo_shows_two_nodes_trusted_and_the_rebooted_one_quarantined_with_its_PCR()
    {
        int verifierPort = FreePort(), registrarPort = FreePort();
        ProcessResult start = ProcessRunner.Run(Script,
            ["start", "-n", "3", "-i", "5s", "-d", _dir, "-H", $"127.0.0.1:{verifierPort}", "-R", $"127.0.0.1:{registrarPort}"],
            workingDirectory: RepoPaths.Root, timeout: TimeSpan.FromMinutes(10));
        Assert.True(start.ExitCode == 0, $"run-system.sh start exited {start.ExitCode}\n{start.StdOut}\n{start.StdErr}");
        Assert.Equal($"http://127.0.0.1:{verifierPort}/", File.ReadAllText(Path.Combine(_dir, "status.url")).Trim());
        Assert.Contains($"http://127.0.0.1:{verifierPort}/", start.StdOut, StringComparison.Ordinal);

        // The issue's promise: within two minutes of start, the operator sees the quarantine.
        var clock = Stopwatch.StartNew();
        string operatorUri = File.ReadAllText(Path.Combine(_dir, "broker", "users", "operator.uri")).Trim();
        JsonElement[] nodes = [];
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            ProcessResult list = ProcessRunner.Run("dotnet", [KcryptPushBinaries.Verifier, "nodes", "list", "--json", "--broker", operatorUri], timeout: TimeSpan.FromSeconds(30));
            if (list.ExitCode == 0)
            {
                nodes = [.. JsonDocument.Parse(list.StdOut).RootElement.EnumerateArray().Select(e => e.Clone())];
                if (State("node1") == "Trusted" && State("node2") == "Trusted" && State("node3") == "Quarantined")
                {
                    break;
                }
            }

            Thread.Sleep(2000);
        }

        string? State(string host) => nodes.FirstOrDefault(n => n.GetProperty("hostname").GetString() == host) is { ValueKind: JsonValueKind.Object } n
            ? n.GetProperty("state").GetString() : null;
        string seen = string.Join(", ", nodes.Select(n => $"{n.GetProperty("hostname")}={n.GetProperty("state")}"));
        Assert.True(State("node3") == "Quarantined" && State("node1") == "Trusted" && State("node2") == "Trusted",
            $"after {clock.Elapsed.TotalSeconds:0} s: {seen}\n{Logs()}");
        Console.WriteLine($"run-system demo: node3 Quarantined {clock.Elapsed.TotalSeconds:0} s after start returned");

        // Why, as the operator reads it: the boot application's PCR 4 in both banks.
        JsonElement node3 = nodes.Single(n => n.GetProperty("hostname").GetString() == "node3");
        Assert.Contains(node3.GetProperty("reasons").EnumerateArray(), r => r.GetProperty("code").GetString() == "pcr-policy-violation");
        Assert.Contains(node3.GetProperty("failingPcrs").EnumerateArray(), p => p.GetProperty("index").GetInt32() == 4);

        ProcessResult status = ProcessRunner.Run(Script, ["status", "-d", _dir], workingDirectory: RepoPaths.Root, timeout: TimeSpan.FromMinutes(1));
        Assert.Equal(0, status.ExitCode);
        string row = Assert.Single(status.StdOut.Split('\n'), l => l.StartsWith("node3 ", StringComparison.Ordinal));
        Assert.Contains("Quarantined", row, StringComparison.Ordinal);
        Assert.Contains("sha256:4", row, StringComparison.Ordinal);
        Assert.Equal(2, status.StdOut.Split('\n').Count(l => l.Contains(" Trusted ", StringComparison.Ordinal)));

        // stop: every process it started is gone.
        int[] pids = [.. Directory.GetFiles(_dir, "*.pid", SearchOption.AllDirectories)
            .Select(f => int.Parse(File.ReadAllText(f).Trim(), System.Globalization.CultureInfo.InvariantCulture))];
        Assert.NotEmpty(pids);
        ProcessResult stop = ProcessRunner.Run(Script, ["stop", "-d", _dir], workingDirectory: RepoPaths.Root, timeout: TimeSpan.FromMinutes(2));
        Assert.True(stop.ExitCode == 0, stop.StdErr);
        Assert.All(pids, pid => Assert.False(Alive(pid), $"pid {pid} still runs after stop"));
    }

    private static bool Alive(int pid)
    {
        try
        {
            using Process p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private string Logs() => string.Join("\n", Directory.GetFiles(_dir, "*.log")
        .Select(f => $"== {Path.GetFileName(f)}\n{string.Join("\n", File.ReadLines(f).TakeLast(15))}"));

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
