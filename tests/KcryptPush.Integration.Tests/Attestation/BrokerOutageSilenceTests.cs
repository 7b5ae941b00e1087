using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Messaging;
using Xunit.Abstractions;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// Silence the verifier could not have heard is not the nodes' fault (issue 10, item 4): three agents
/// on real swtpms at a 2 s interval are Trusted, then the broker is stopped for 30 s, longer than the
/// verifier's silence threshold (<see cref="AttestationClassFixture.SilentIntervals"/> intervals,
/// 16 s), and started again. Every service must reconnect by itself, no node may be reported Silent
/// or Quarantined, every node must pass again soon after the broker is back, and every verdict the
/// verifier made must reach the verdict exchange exactly once (counted on a durable queue that lives
/// through the outage).
/// <para>
/// "Soon": the services try a broker that is away every 1-3 s plus MassTransit's 1 s breather
/// (<c>BrokerReconnectPolicy</c>; MassTransit's own schedule, 3 s growing to 30 s, had them consume again
/// 16-32 s after the broker was back and agents pass again 22-36 s after it), and an agent every 5 s at most
/// (Agent:BrokerRetryMaxDelay). The verifier allows the nodes 15 s (<c>BrokerConnectionClock.DefaultSettle</c>)
/// to reconnect before silence counts, which with the 16 s threshold keeps the outage free of false NodeSilent.
/// </para>
/// </summary>
[Trait("Category", "Integration")]
public sealed class BrokerOutageSilenceTests(AttestationClassFixture f, ITestOutputHelper output) : IClassFixture<AttestationClassFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);   // AttestationClassFixture.Interval
    private static readonly TimeSpan Threshold = AttestationClassFixture.SilentIntervals * Interval;

    // The longest pause between reconnection attempts (Broker:ReconnectMaxInterval), MassTransit's 1 s
    // breather, plus room for a loaded 2-core machine: how long after the broker is back a service may take
    // to consume again.
    private static readonly TimeSpan Reconnect = new BrokerOptions().ReconnectMaxInterval + TimeSpan.FromSeconds(1 + 11);

    // The verifier's allowance for the nodes' reconnection (BrokerConnectionClock.DefaultSettle; this
    // project does not reference the verifier's assembly).
    private static readonly TimeSpan VerifierSettle = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_30_s_broker_outage_makes_no_node_silent_and_every_node_passes_again()
    {
        Assert.True(Outage > Threshold, "the outage must outlast the silence threshold, or the test shows nothing");
        byte[] log = File.ReadAllBytes(AttestationClassFixture.SharedLog);
        using var a = new AgentNode(f, 0, log);
        using var b = new AgentNode(f, 1, log);
        using var c = new AgentNode(f, 2, log);
        AgentNode[] nodes = [a, b, c];
        string Diagnostics() => string.Join("\n", nodes.Select(n => $"--- agent {n.Index} ---\n{n.Output}")) + "\n" + f.Diagnostics();
        await using DurableQueueSpy verdicts = await DurableQueueSpy.StartAsync(f.Broker.Uri, AttestationClassFixture.VerdictExchange);

        var clock = Stopwatch.StartNew();
        foreach (AgentNode n in nodes)
        {
            n.Start();
        }

        foreach (AgentNode n in nodes)
        {
            await f.Verdicts.WaitForAsync(m => m.Is("NodeTrusted") && Hash(m) == n.TpmHash, Patience, $"NodeTrusted for node {n.Index}", Diagnostics);
        }

        Log($"all 3 Trusted after {clock.Elapsed.TotalSeconds:0.0}s");

        // Steady: each node has passed again since it became Trusted.
        DateTimeOffset trustedAll = DateTimeOffset.UtcNow;
        foreach (AgentNode n in nodes)
        {
            await f.ToVerifier.WaitForAsync(m => m.Is("QuoteSubmitted") && Hash(m) == n.TpmHash && m.At > trustedAll, Patience, $"a steady quote of node {n.Index}", Diagnostics);
        }

        // Each node's recent history before the outage: `nodes show` keeps only 20 attestations, so the
        // last pass before the stop is taken now and joined with what is read after.
        Dictionary<int, AttestationEntry[]> beforeStop = nodes.ToDictionary(n => n.Index, History);
        DateTimeOffset stopping = DateTimeOffset.UtcNow;
        await f.Broker.StopAsync();
        DateTimeOffset stopped = DateTimeOffset.UtcNow;
        Log($"broker stopped in {(stopped - stopping).TotalSeconds:0.0}s");
        try
        {
            await Task.Delay(Outage - (DateTimeOffset.UtcNow - stopping));
        }
        finally
        {
            await f.Broker.StartAsync();
        }

        DateTimeOffset back = DateTimeOffset.UtcNow;
        Log($"broker down {(back - stopping).TotalSeconds:0.0}s (stop requested to start returned); silence threshold {Threshold.TotalSeconds:0}s");

        // Every service reconnects by itself: their queues have consumers again.
        var consuming = new Dictionary<string, TimeSpan>();
        foreach ((string who, string queue) in new[]
        {
            ("verifier attestation", KcryptPushQueues.VerifierAttestation),
            ("verifier enrolment", AttestationClassFixture.VerifierEnrolmentQueue),
            ("registrar", KcryptPushServices.RegistrarQueue),
        })
        {
            await f.Broker.WaitForConsumersAsync(Patience, queue);
            consuming[who] = DateTimeOffset.UtcNow - back;
            Log($"{who} consuming again {consuming[who].TotalSeconds:0.0}s after the broker was back (polled)");
        }

        Assert.All(consuming, c => Assert.True(c.Value <= Reconnect, $"{c.Key} consumed again only {c.Value.TotalSeconds:0.0}s after the broker was back\n{Diagnostics()}"));
        DateTimeOffset verifierBack = back + consuming["verifier attestation"];

        // Each node passed again, and when: the verifier's own history (its last 20 attestations), read
        // as soon as it holds a pass after the broker came back, while the last one before is still in it.
        var firstPass = new Dictionary<int, TimeSpan>();
        AttestationEntry[][] afterBack = await Task.WhenAll(nodes.Select(n => WaitForHistoryAfterAsync(n, back, Diagnostics)));
        foreach ((AgentNode n, AttestationEntry[] read) in nodes.Zip(afterBack))
        {
            AttestationEntry[] history = [.. beforeStop[n.Index].Concat(read).DistinctBy(h => h.At).OrderBy(h => h.At)];
            AttestationEntry[] after = [.. history.Where(h => h.At > back)];
            AttestationEntry lastBefore = history.Last(h => h.At < stopping);
            Assert.All(after, h => Assert.True(h.Verdict == "pass", $"node {n.Index}: {h}\n{Diagnostics()}"));
            firstPass[n.Index] = after[0].At - back;
            Log($"node {n.Index}: last pass {(stopping - lastBefore.At).TotalSeconds:0.0}s before the stop; first pass after it {firstPass[n.Index].TotalSeconds:0.0}s after the broker was back "
                + $"({(after[0].At - verifierBack).TotalSeconds:0.0}s after the verifier consumed again)");

            // The verifier heard nothing from the node for longer than the threshold: the old detector
            // would have reported it Silent here, so the test shows something.
            Assert.True(after[0].At - lastBefore.At > Threshold, $"node {n.Index}: a gap of only {(after[0].At - lastBefore.At).TotalSeconds:0.0}s");
        }

        // Then wait out the verifier's allowance for the nodes' own reconnection and a full threshold after
        // it could hear again (and two intervals more): a false NodeSilent from the outage, or from a clock
        // restarted too early, would be staged by now.
        TimeSpan settle = verifierBack + VerifierSettle + Threshold + 2 * Interval - DateTimeOffset.UtcNow;
        if (settle > TimeSpan.Zero)
        {
            await Task.Delay(settle);
        }

        foreach (AgentNode n in nodes)
        {
            JsonElement shown = Show(n);
            AttestationEntry[] recent = [.. shown.GetProperty("history").EnumerateArray().Select(AttestationEntry.Of).Where(h => h.At > back)];
            Assert.All(recent, h => Assert.True(h.Verdict == "pass", $"node {n.Index}: {h}\n{Diagnostics()}"));
            Assert.True(shown.GetProperty("state").GetString() == "Trusted", $"node {n.Index}: {shown}\n{Diagnostics()}");
            Log($"node {n.Index}: {recent.Length} of its last 20 attestations after the broker was back, all pass; state Trusted");
            Assert.False(n.Agent!.HasExited, $"agent {n.Index} exited\n{Diagnostics()}");
        }

        // Within the agent's longest pause while the broker is away (Agent:BrokerRetryMaxDelay, 5 s) and two
        // intervals of the services' reconnection.
        Assert.All(firstPass, p => Assert.True(p.Value <= Reconnect + TimeSpan.FromSeconds(5) + 2 * Interval, $"node {p.Key} passed again only {p.Value.TotalSeconds:0.0}s after the broker was back\n{Diagnostics()}"));

        // 0 NodeSilent, 0 NodeQuarantined, and each NodeTrusted delivered exactly once: nothing lost or repeated.
        string[] hashes = [.. nodes.Select(n => n.TpmHash)];
        SpiedMessage[] mine = [.. (await verdicts.DrainAsync()).Where(m => hashes.Contains(Hash(m)))];
        Log($"verdict events on the durable queue: {string.Join(", ", mine.Select(m => m.MessageTypes[0].Split(':')[^1]))}");
        Assert.DoesNotContain(mine, m => m.Is("NodeSilent"));
        Assert.DoesNotContain(mine, m => m.Is("NodeQuarantined"));
        foreach (AgentNode n in nodes)
        {
            Assert.Single(mine, m => m.Is("NodeTrusted") && Hash(m) == n.TpmHash);
        }

        Assert.Equal(3, mine.Length);

        // The verifier saw the outage as one (and paused its silence clock for it) and is still running.
        string verifierLog = f.Verifier.Output;
        Assert.Contains("Broker connection lost", verifierLog, StringComparison.Ordinal);
        Assert.Contains("silence counts again", verifierLog, StringComparison.Ordinal);
        Assert.DoesNotContain("is silent", verifierLog, StringComparison.Ordinal);
        Assert.False(f.Verifier.HasExited, Diagnostics());
        Assert.False(f.Services.Registrar!.HasExited, Diagnostics());
    }

    private void Log(string line)
    {
        string stamped = $"[{DateTimeOffset.UtcNow:HH:mm:ss.f}] {line}";
        output.WriteLine(stamped);
        Console.WriteLine(stamped);
    }

    // Polled for all nodes at once from the moment the verifier consumes again, so the first pass after
    // the outage is still among the 20 attestations `nodes show` returns.
    private async Task<AttestationEntry[]> WaitForHistoryAfterAsync(AgentNode n, DateTimeOffset back, Func<string> diagnostics)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            AttestationEntry[] history = await Task.Run(() => History(n));
            if (history.Any(h => h.At > back))
            {
                return history;
            }

            Assert.True(clock.Elapsed < Patience, $"node {n.Index} did not attest after the broker was back\n{diagnostics()}");
            await Task.Delay(500);
        }
    }

    private AttestationEntry[] History(AgentNode n) => [.. Show(n).GetProperty("history").EnumerateArray().Select(AttestationEntry.Of).OrderBy(h => h.At)];

    private JsonElement Show(AgentNode n)
    {
        ProcessResult r = ProcessRunner.Run("dotnet", [KcryptPushBinaries.Verifier, "nodes", "show", n.TpmHash, "--json", "--broker", f.Roles["operator"], "--timeout", "45s"],
            timeout: TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, $"nodes show exit {r.ExitCode}: {r.StdErr}\n{f.Diagnostics()}");
        using JsonDocument doc = JsonDocument.Parse(r.StdOut);
        return doc.RootElement.Clone();
    }

    private static string? Hash(SpiedMessage m) => m.Message.TryGetProperty("tpmHash", out JsonElement h) ? h.GetString() : null;

    private sealed record AttestationEntry(DateTimeOffset At, string Verdict)
    {
        public static AttestationEntry Of(JsonElement e) =>
            new(DateTimeOffset.Parse(e.GetProperty("at").GetString()!, CultureInfo.InvariantCulture), e.GetProperty("verdict").GetString()!);
    }
}
