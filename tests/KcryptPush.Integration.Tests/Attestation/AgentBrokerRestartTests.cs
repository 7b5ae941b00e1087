using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Messaging;
using Xunit.Abstractions;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// The agent's own broker client (agent/Bus, no MassTransit) outlives a broker restart by itself: a
/// running <c>kcrypt-push-agent run</c> (2 s interval) is Trusted, the broker stops for 10 s and
/// starts again in the same directory, and the same agent process reports the lost connection,
/// connects again and passes again, against the MassTransit verifier as it was. And an agent whose
/// URI's node is down connects to the next of Broker:ClusterNodes.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AgentBrokerRestartTests(AttestationClassFixture f, ITestOutputHelper output) : IClassFixture<AttestationClassFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    // After the verifier consumes again, the agent's next try comes within its backoff cap (2 s,
    // AgentProcess) plus an interval; the rest is room for a loaded 2-core machine.
    private static readonly TimeSpan AgentBack = TimeSpan.FromSeconds(2 + 2 + 20);

    [Fact]
    public async Task A_running_agent_reconnects_after_a_broker_restart_and_passes_again_without_a_restart()
    {
        using var node = new AgentNode(f, 0, File.ReadAllBytes(AttestationClassFixture.SharedLog));
        string Diagnostics() => $"--- agent ---\n{node.Output}\n{f.Diagnostics()}";
        node.Start();
        int pid = node.Agent!.Pid;
        await f.Verdicts.WaitForAsync(m => m.Is("NodeTrusted") && Hash(m) == node.TpmHash, Patience, "NodeTrusted", Diagnostics);
        DateTimeOffset trusted = DateTimeOffset.UtcNow;
        await f.ToVerifier.WaitForAsync(m => m.Is("QuoteSubmitted") && Hash(m) == node.TpmHash && m.At > trusted, Patience, "a steady quote", Diagnostics);
        Assert.Equal(1, Count(node.Output, "Connected to the broker"));

        DateTimeOffset stopping = DateTimeOffset.UtcNow;
        await f.Broker.StopAsync();
        try
        {
            // The agent notices at once (the broker closes the socket), not at its next request.
            await WaitForOutputAsync(node, "Lost the broker", Outage, Diagnostics);
            Log($"the agent reported the lost broker {(DateTimeOffset.UtcNow - stopping).TotalSeconds:0.0}s after the stop began");
            await Task.Delay(Outage - (DateTimeOffset.UtcNow - stopping));
            Assert.False(node.Agent.HasExited, Diagnostics());
        }
        finally
        {
            await f.Broker.StartAsync();
        }

        DateTimeOffset back = DateTimeOffset.UtcNow;
        await f.Broker.WaitForConsumersAsync(Patience, KcryptPushQueues.VerifierAttestation);
        DateTimeOffset verifierBack = DateTimeOffset.UtcNow;
        Log($"broker back; the verifier (MassTransit) consumes again {(verifierBack - back).TotalSeconds:0.0}s later (polled)");

        // The same process passes again: a pass in the verifier's history after the broker was back.
        var clock = Stopwatch.StartNew();
        DateTimeOffset? firstPass = null;
        while (firstPass is null)
        {
            Assert.True(clock.Elapsed < Patience, $"no pass after the broker was back\n{Diagnostics()}");
            (DateTimeOffset At, string Verdict)[] after = [.. (await Task.Run(() => History(node))).Where(h => h.At > back)];
            Assert.All(after, h => Assert.True(h.Verdict == "pass", $"{h}\n{Diagnostics()}"));
            firstPass = after.Length > 0 ? after.Min(h => h.At) : null;
            if (firstPass is null)
            {
                await Task.Delay(500);
            }
        }

        Log($"first pass {(firstPass.Value - back).TotalSeconds:0.0}s after the broker was back, {(firstPass.Value - verifierBack).TotalSeconds:0.0}s after the verifier consumed again");
        Assert.True(firstPass.Value - verifierBack <= AgentBack, $"the agent passed again only {(firstPass.Value - verifierBack).TotalSeconds:0.0}s after the verifier consumed\n{Diagnostics()}");
        Assert.False(node.Agent.HasExited, Diagnostics());
        Assert.Equal(pid, node.Agent.Pid);
        Assert.True(Count(node.Output, "Connected to the broker") >= 2, $"no second connection logged\n{Diagnostics()}");

        // Nothing the agent sent was refused as malformed by the MassTransit services.
        IReadOnlyDictionary<string, (int Messages, int Consumers)> queues = await f.Broker.QueuesAsync();
        Assert.All(queues.Where(q => q.Key.EndsWith("_error", StringComparison.Ordinal)), q => Assert.Equal(0, q.Value.Messages));
    }

    // Broker:ClusterNodes for the agent: its URI names a node that is down (nothing listens on the
    // port), the list names the live one; the agent connects there and the node is Trusted.
    [Fact]
    public async Task An_agent_whose_URI_node_is_down_goes_on_with_the_next_node_of_Broker_ClusterNodes()
    {
        using var node = new AgentNode(f, 1, File.ReadAllBytes(AttestationClassFixture.SharedLog));
        string Diagnostics() => $"--- agent ---\n{node.Output}\n{f.Diagnostics()}";
        var live = new Uri(f.AgentBrokerUri);
        int down = PortNothingListensOn();
        string deadUri = f.AgentBrokerUri.Replace($":{live.Port}/", $":{down}/", StringComparison.Ordinal);
        Assert.NotEqual(f.AgentBrokerUri, deadUri);

        node.Start(deadUri, new Dictionary<string, string?> { ["KCRYPTPUSH_Broker__ClusterNodes"] = $"{live.Host}:{live.Port}" });
        await f.Verdicts.WaitForAsync(m => m.Is("NodeTrusted") && Hash(m) == node.TpmHash, Patience, "NodeTrusted", Diagnostics);
        Assert.Contains($"Broker node {live.Host}:{down} did not accept the connection", node.Output, StringComparison.Ordinal);
        Assert.Contains($"Connected to the broker {live.Host}:{live.Port}", node.Output, StringComparison.Ordinal);
    }

    private static int PortNothingListensOn()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int Count(string text, string what) =>
        text.Split('\n').Count(l => l.Contains(what, StringComparison.Ordinal));

    private static async Task WaitForOutputAsync(AgentNode node, string what, TimeSpan within, Func<string> diagnostics)
    {
        var clock = Stopwatch.StartNew();
        while (!node.Output.Contains(what, StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < within, $"the agent never logged '{what}'\n{diagnostics()}");
            await Task.Delay(100);
        }
    }

    private (DateTimeOffset At, string Verdict)[] History(AgentNode n)
    {
        ProcessResult r = ProcessRunner.Run("dotnet", [KcryptPushBinaries.Verifier, "nodes", "show", n.TpmHash, "--json", "--broker", f.Roles["operator"], "--timeout", "45s"],
            timeout: TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, $"nodes show exit {r.ExitCode}: {r.StdErr}\n{f.Diagnostics()}");
        using JsonDocument doc = JsonDocument.Parse(r.StdOut);
        return [.. doc.RootElement.GetProperty("history").EnumerateArray()
            .Select(e => (DateTimeOffset.Parse(e.GetProperty("at").GetString()!, CultureInfo.InvariantCulture), e.GetProperty("verdict").GetString()!))];
    }

    private void Log(string line)
    {
        string stamped = $"[{DateTimeOffset.UtcNow:HH:mm:ss.f}] {line}";
        output.WriteLine(stamped);
        Console.WriteLine(stamped);
    }

    private static string? Hash(SpiedMessage m) => m.Message.TryGetProperty("tpmHash", out JsonElement h) ? h.GetString() : null;
}
