using System.Diagnostics;
using System.Text.Json;
using KcryptPush.Bench.Load;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Messaging;
using KcryptPush.Tests;
using Xunit.Abstractions;

namespace KcryptPush.Integration.Tests.Attestation;

/// <summary>
/// The broker stopped for 30 s under 200-node load (issue 10, item 4): the registrar and the verifier
/// run as processes on a private broker, 200 simulated nodes (<see cref="SimulatedFleet"/>) attest every
/// 10 s, and the broker is stopped for 30 s, longer than the verifier's silence threshold (20 s), then
/// started again. Every service must consume again by itself, every node pass again, no node be
/// reported Silent or Quarantined, and every verdict the verifier made reach a durable queue on the
/// verdict exchange once (no NodeTrusted lost, none but NodeTrusted at all).
/// <para>
/// How soon: the issue asks "every node Trusted again within two intervals" of the broker's return, and
/// that is asserted: the last of the 200 nodes must pass again within <see cref="AllPassBound"/> (2 × the
/// interval) of the moment the restarted broker accepted connections. The services, and the simulated
/// nodes' own bus (the same KcryptPush.Messaging set-up), try a broker that is away every few seconds
/// (<see cref="BrokerReconnectPolicy"/>); under MassTransit's own schedule (3 s growing to 30 s between
/// attempts) the queues consumed again up to 30 s after the broker was back and the last node passed again
/// 46-48 s after it. The nodes treat a challenge that expired in the outage as the agent does (a fresh one,
/// at once); measured: the last node 8.7 s after the broker's return at load 3-4, 15.5 s at load 21-25.
/// </para>
/// </summary>
[Trait("Category", "Integration")]
public sealed class BrokerOutageFleetTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int NodeCount = 200;
    private const int SilentIntervals = 2;
    private const int EnrolBatch = 20;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Threshold = SilentIntervals * Interval;
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(120);

    // How long after the broker is back a service may take to consume again: the longest pause between
    // reconnection attempts (Broker:ReconnectMaxInterval, 3 s), MassTransit's 1 s breather after a failed
    // attempt, and room for a loaded 2-core machine (2.2-5.9 s measured here at load 3-25).
    private static readonly TimeSpan Reconnect = new BrokerOptions().ReconnectMaxInterval + TimeSpan.FromSeconds(1 + 11);

    // Every node passed again within two intervals of the broker's return (issue 10, item 4).
    private static readonly TimeSpan AllPassBound = 2 * Interval;

    private readonly RabbitMqFixture _broker = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-it-outage-fleet-").FullName;
    private readonly List<ServiceProcess> _services = [];

    public Task InitializeAsync() => _broker.InitializeAsync();

    public async Task DisposeAsync()
    {
        foreach (ServiceProcess s in _services)
        {
            s.Dispose();
        }

        await _broker.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_30_s_broker_outage_under_200_nodes_loses_no_verdict_makes_none_silent_and_every_node_passes_again()
    {
        Assert.True(Outage > Threshold, "the outage must outlast the silence threshold, or the test shows nothing");
        var clock = Stopwatch.StartNew();
        IReadOnlyDictionary<string, string> roles = await _broker.CreateRoleUsersAsync();
        string caDir = Directory.CreateDirectory(Path.Combine(_dir, "ek-ca")).FullName;
        ServiceProcess registrar = Start(ServiceProcess.Start("registrar", "dotnet",
            [KcryptPushBinaries.Registrar, "run", "--broker", roles["registrar"], "--db", Path.Combine(_dir, "registrar.db"),
                "--ek-ca-dir", caDir, "--require-ek-cert", "false", "--http", "off"]));
        ServiceProcess verifier = Start(ServiceProcess.Start("verifier", "dotnet",
            [KcryptPushBinaries.Verifier, "run", "--broker", roles["verifier"], "--db", Path.Combine(_dir, "verifier.db"), "--interval", "10s", "--http", "off"],
            new Dictionary<string, string?>
            {
                ["KCRYPTPUSH_Verifier__SilentIntervals"] = SilentIntervals.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["KCRYPTPUSH_Verifier__ChallengeExpiry"] = "60s",
                ["KCRYPTPUSH_INTERVAL"] = null,
            }));
        string[] queues = [KcryptPushQueues.Registrar, KcryptPushQueues.VerifierEnrolment, KcryptPushQueues.VerifierAttestation];
        await _broker.WaitForConsumersAsync(Slow, queues);
        await using DurableQueueSpy verdicts = await DurableQueueSpy.StartAsync(_broker.Uri, AttestationClassFixture.VerdictExchange);
        Log($"services consuming after {clock.Elapsed.TotalSeconds:0.0}s");

        // A request waits 15 s, then the node starts over with a fresh challenge, as an agent does. The
        // nodes enrol EnrolBatch at a time: a node not heard 20 s after its enrolment is Silent, and on
        // this shared 2-core machine (load 35-48 while others built and tested) the verifier took its first
        // attestations (full logs, right after its start) at about 1.3 nodes/s. With 50 at a time, 5 of the
        // first 50 went Silent from Pending in CI, before the outage.
        await using SimulatedFleet fleet = await SimulatedFleet.StartAsync(_broker.Uri, AttestationClassFixture.SharedLog, Interval, TimeSpan.FromSeconds(15));
        for (int batch = 1; batch <= NodeCount / EnrolBatch; batch++)
        {
            fleet.Add("outage", EnrolBatch);
            await SimulatedFleet.WaitUntilAsync(() => fleet.PassedNodes >= batch * EnrolBatch, Slow,
                () => $"{fleet.PassedNodes} of {batch * EnrolBatch} nodes passed; problems:\n{fleet.ProblemText()}\n{Diagnostics()}");
        }

        Log($"all {NodeCount} nodes passed after {clock.Elapsed.TotalSeconds:0.0}s; {fleet.Answered} requests answered");
        await Task.Delay(Interval);
        Assert.True(fleet.Problems.IsEmpty, $"problems before the outage:\n{fleet.ProblemText()}\n{Diagnostics()}");

        DateTimeOffset stopping = DateTimeOffset.UtcNow;
        await _broker.StopAsync();
        Log($"broker stopped in {(DateTimeOffset.UtcNow - stopping).TotalSeconds:0.0}s");
        try
        {
            await Task.Delay(Outage - (DateTimeOffset.UtcNow - stopping));
        }
        finally
        {
            await _broker.StartAsync();
        }

        DateTimeOffset back = DateTimeOffset.UtcNow;
        Log($"broker down {(back - stopping).TotalSeconds:0.0}s (stop requested to start returned); silence threshold {Threshold.TotalSeconds:0}s");

        // Every service consumes again by itself, and every node passes again: when, for each.
        var consuming = new Dictionary<string, TimeSpan>();
        var firstPass = new Dictionary<string, TimeSpan>();
        await SimulatedFleet.WaitUntilAsync(
            () =>
            {
                IReadOnlyDictionary<string, (int Messages, int Consumers)> q = _broker.QueuesAsync().GetAwaiter().GetResult();
                foreach (string name in queues.Where(n => !consuming.ContainsKey(n) && q.TryGetValue(n, out var s) && s.Consumers > 0))
                {
                    consuming[name] = DateTimeOffset.UtcNow - back;
                }

                foreach (SimulatedNode n in fleet.Nodes.Where(n => !firstPass.ContainsKey(n.TpmHash)))
                {
                    if (fleet.PassesOf(n.TpmHash).FirstOrDefault(p => p > back) is { } at && at != default)
                    {
                        firstPass[n.TpmHash] = at - back;
                    }
                }

                return consuming.Count == queues.Length && firstPass.Count == NodeCount;
            },
            Slow + Reconnect,
            () => $"consuming again: {string.Join(", ", consuming.Keys)}; {firstPass.Count} of {NodeCount} nodes passed again\n{fleet.ProblemText()}\n{Diagnostics()}");
        TimeSpan[] passTimes = [.. firstPass.Values.Order()];
        Log("consuming again after the broker was back: " + string.Join(", ", consuming.Select(c => $"{c.Key} {c.Value.TotalSeconds:0.0}s")));
        Log($"first pass after the broker was back: first node {passTimes[0].TotalSeconds:0.0}s, median {passTimes[NodeCount / 2].TotalSeconds:0.0}s, "
            + $"95% {passTimes[NodeCount * 95 / 100].TotalSeconds:0.0}s, all {NodeCount} {passTimes[^1].TotalSeconds:0.0}s "
            + $"({(passTimes[^1] - consuming.Values.Max()).TotalSeconds:0.0}s after the last service consumed; two intervals are {(2 * Interval).TotalSeconds:0}s)");

        // Steady for an interval more: whatever the outage caused is staged and published by then (every
        // node was heard again, so no silence can start later).
        await Task.Delay(Interval);
        Assert.True(await fleet.StopAsync(Slow), $"requests still open {Slow.TotalSeconds:0}s after the fleet stopped: {fleet.Sent - fleet.Answered}");
        Log($"requests: {fleet.Sent} sent, {fleet.Answered} answered; problems {fleet.Problems.Count}");

        Assert.All(consuming, c => Assert.True(c.Value <= Reconnect, $"{c.Key} consumed again only {c.Value.TotalSeconds:0.0}s after the broker was back\n{Diagnostics()}"));
        Assert.True(passTimes[^1] <= AllPassBound, $"the last node passed again {passTimes[^1].TotalSeconds:0.0}s after the broker was back (bound {AllPassBound.TotalSeconds:0}s)");

        // The only problems: requests the outage left unanswered (and enrolments not re-published), and
        // quotes over a challenge that expired during the outage, which the verifier refuses without
        // recording anything (the node starts over with a fresh one); never another answer than pass.
        string[] verdictProblems = [.. fleet.Problems.Select(p => p.What).Where(w => !w.Contains(" not answered: ", StringComparison.Ordinal)
            && !w.Contains("NodeEnrolled not published", StringComparison.Ordinal) && !w.Contains(": fail challenge-expired: ", StringComparison.Ordinal))];
        Log($"problems by kind: {string.Join(", ", fleet.Problems.GroupBy(p => p.What.Contains(" not answered: ", StringComparison.Ordinal) ? "unanswered" : p.What.Contains("challenge-expired", StringComparison.Ordinal) ? "challenge expired in the outage" : "other").Select(g => $"{g.Count()} {g.Key}"))}");
        Assert.True(verdictProblems.Length == 0, $"answers other than pass:\n{string.Join("\n", verdictProblems.Take(40))}\n{Diagnostics()}");

        // 0 NodeSilent, 0 NodeQuarantined, each NodeTrusted exactly once (by message id).
        string[] hashes = [.. fleet.Nodes.Select(n => n.TpmHash)];
        IReadOnlyList<SpiedMessage> seen = await verdicts.DrainAsync();
        SpiedMessage[] distinct = [.. seen.DistinctBy(MessageId)];
        Log($"verdict queue: {seen.Count} events, {distinct.Length} distinct: {string.Join(", ", distinct.GroupBy(m => m.MessageTypes[0].Split(':')[^1]).Select(g => $"{g.Count()} {g.Key}"))}");
        Assert.DoesNotContain(distinct, m => m.Is(nameof(NodeSilent)));
        Assert.DoesNotContain(distinct, m => m.Is(nameof(NodeQuarantined)));
        Assert.All(distinct, m => Assert.True(m.Is(nameof(NodeTrusted)), $"not NodeTrusted: {string.Join(", ", m.MessageTypes)}"));
        Assert.Equal(hashes.Order(StringComparer.Ordinal), distinct.Select(Hash).Order(StringComparer.Ordinal));

        // The verifier saw the outage (and paused its silence clock for it); both services still run.
        Assert.Contains("Broker connection lost", verifier.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("is silent", verifier.Output, StringComparison.Ordinal);
        Assert.False(verifier.HasExited, Diagnostics());
        Assert.False(registrar.HasExited, Diagnostics());
        Log($"done after {clock.Elapsed.TotalSeconds:0.0}s");
    }

    private ServiceProcess Start(ServiceProcess p)
    {
        _services.Add(p);
        return p;
    }

    private static string? Hash(SpiedMessage m) => m.Message.TryGetProperty("tpmHash", out JsonElement h) ? h.GetString() : null;

    private static string MessageId(SpiedMessage m)
    {
        using JsonDocument doc = JsonDocument.Parse(m.Body);
        return doc.RootElement.GetProperty("messageId").GetString()!;
    }

    // The end of each service's output: 200 nodes make long logs.
    private string Diagnostics() => string.Join("\n", _services.Select(s => $"--- {s.Name} ---\n{s.Output[Math.Max(0, s.Output.Length - 6000)..]}"));

    private void Log(string line)
    {
        string stamped = $"[{DateTimeOffset.UtcNow:HH:mm:ss.f}] {line}";
        output.WriteLine(stamped);
        Console.WriteLine(stamped);
    }
}
