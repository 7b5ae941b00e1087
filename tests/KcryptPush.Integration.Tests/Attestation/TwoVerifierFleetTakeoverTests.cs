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
/// The fleet-sized takeover of issue 10, item 4: two verifiers on one PostgreSQL store, 50 simulated
/// nodes (<see cref="SimulatedFleet"/>: software AKs, enrolled through the verifier's enrolment
/// consumer as the load generator does) attesting every 5 s through the real broker, ten of them
/// enrolling while it happens; one verifier is SIGKILLed mid-run and started again. Nothing the nodes
/// did changed, so: every request is answered (what the killed instance held unacknowledged is
/// redelivered to the other, which answers a claimed challenge with the stored result), every node
/// keeps passing, each node's NodeTrusted reaches a durable queue on the verdict exchange (none lost,
/// none false, nothing else), and the store holds exactly the passes the nodes were told of, no
/// challenge twice (none double-counted). <see cref="TwoVerifierTakeoverTests"/> is the same with
/// three agents on swtpm.
/// </summary>
[Trait("Category", "Integration")]
public sealed class TwoVerifierFleetTakeoverTests(PrivatePostgres pg, ITestOutputHelper output) : IClassFixture<PrivatePostgres>, IAsyncLifetime
{
    private const int FirstNodes = 40;
    private const int LaterNodes = 10;
    private const string Interval = "5s";
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(90);
    private readonly RabbitMqFixture _broker = new();
    private readonly List<ServiceProcess> _verifiers = [];
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-it-fleet-takeover-").FullName;
    private IReadOnlyDictionary<string, string> _roles = null!;
    private string _store = string.Empty;
    private string _database = string.Empty;

    public async Task InitializeAsync()
    {
        if (PrivatePostgres.Missing is not null)
        {
            return;
        }

        await _broker.InitializeAsync();
        _roles = await _broker.CreateRoleUsersAsync();
        _store = pg.CreateDatabase();
        _database = _store.Split(';').Single(p => p.StartsWith("Database=", StringComparison.Ordinal))["Database=".Length..];
    }

    public async Task DisposeAsync()
    {
        foreach (ServiceProcess p in _verifiers)
        {
            p.Dispose();
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

    [PostgresFact]
    public async Task Fifty_nodes_keep_passing_while_one_of_two_verifiers_is_killed_and_restarted_with_nothing_lost_false_or_counted_twice()
    {
        var clock = Stopwatch.StartNew();
        ServiceProcess a = StartVerifier("verifier-a");
        ServiceProcess b = StartVerifier("verifier-b");
        await _broker.WaitForConsumersAsync(Slow, KcryptPushServices.VerifierQueue, KcryptPushQueues.VerifierAttestation);
        await WaitForAttestationConsumersAsync(2, a, b);
        Log($"two verifiers consuming after {clock.Elapsed.TotalSeconds:0.0}s");
        await using DurableQueueSpy verdicts = await DurableQueueSpy.StartAsync(_broker.Uri, AttestationClassFixture.VerdictExchange);

        // Requests wait longer than any takeover here: one that times out counts as lost.
        await using SimulatedFleet fleet = await SimulatedFleet.StartAsync(_broker.Uri, AttestationClassFixture.SharedLog, Period, TimeSpan.FromSeconds(90));
        fleet.Add("takeover", FirstNodes);
        await SimulatedFleet.WaitUntilAsync(() => fleet.PassedNodes >= FirstNodes, Slow,
            () => $"{fleet.PassedNodes} of {FirstNodes} nodes passed; problems:\n{fleet.ProblemText()}\n{Diagnostics()}");
        Log($"{FirstNodes} nodes passed after {clock.Elapsed.TotalSeconds:0.0}s");

        // Ten more enrol one by one across the kill, so NodeTrusted events are staged (and owed) while it happens.
        Task joining = Task.Run(async () =>
        {
            for (int i = 0; i < LaterNodes; i++)
            {
                fleet.Add("takeover-late", 1);
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        });

        await Task.Delay(TimeSpan.FromSeconds(4));
        long answeredAtKill = fleet.Answered;
        _verifiers.Remove(a);
        a.Dispose(); // SIGKILL: what it holds unacknowledged goes back to the queue
        DateTimeOffset killedAt = DateTimeOffset.UtcNow;
        Log($"SIGKILLed verifier-a after {answeredAtKill} answered requests ({clock.Elapsed.TotalSeconds:0.0}s)");

        // B alone: every node keeps passing (each one enrolled by now passes again after the kill).
        await joining;
        SimulatedNode[] beforeRestart = [.. fleet.Nodes];
        await SimulatedFleet.WaitUntilAsync(() => beforeRestart.All(n => fleet.PassesOf(n.TpmHash).Any(p => p > killedAt)), Slow,
            () => $"{beforeRestart.Count(n => fleet.PassesOf(n.TpmHash).Any(p => p > killedAt))} of {beforeRestart.Length} nodes passed after the kill; problems:\n{fleet.ProblemText()}\n{Diagnostics()}");
        Log($"all {beforeRestart.Length} nodes passed on verifier-b alone within {(DateTimeOffset.UtcNow - killedAt).TotalSeconds:0.0}s of the kill");
        Assert.False(b.HasExited, b.Output);

        // A again on the same store: both serve, and every node passes again.
        ServiceProcess again = StartVerifier("verifier-a2");
        await WaitForAttestationConsumersAsync(2, again, b);
        DateTimeOffset bothAgain = DateTimeOffset.UtcNow;
        Log($"verifier-a2 consuming {(bothAgain - killedAt).TotalSeconds:0.0}s after the kill");
        await Task.Delay(TimeSpan.FromSeconds(4));
        await SimulatedFleet.WaitUntilAsync(() => fleet.Nodes.All(n => fleet.PassesOf(n.TpmHash).Any(p => p > bothAgain)), Slow,
            () => $"{fleet.Nodes.Count(n => fleet.PassesOf(n.TpmHash).Any(p => p > bothAgain))} of {fleet.Nodes.Count} nodes passed after the restart; problems:\n{fleet.ProblemText()}\n{Diagnostics()}");

        Assert.True(await fleet.StopAsync(Slow), $"requests still open {Slow.TotalSeconds:0}s after the fleet stopped: {fleet.Sent - fleet.Answered}");
        IReadOnlyList<SimulatedNodeView> nodes = [.. fleet.Nodes.Select(n => new SimulatedNodeView(n.Hostname, n.TpmHash, fleet.PassesOf(n.TpmHash)))];
        Log($"requests: {fleet.Sent} sent, {fleet.Answered} answered ({fleet.Answered - answeredAtKill} after the kill); passes received {nodes.Sum(n => n.Passes.Count)}; problems {fleet.Problems.Count}");
        Log($"verifier-b answered {Count(b, "Redelivered QuoteSubmitted")} redelivered quotes with their stored result");

        // Every request answered, and every answer a pass (the log request aside).
        Assert.True(fleet.Problems.IsEmpty, $"problems:\n{fleet.ProblemText()}\n{Diagnostics()}");
        Assert.Equal(fleet.Sent, fleet.Answered);
        Assert.Equal(FirstNodes + LaterNodes, nodes.Count);

        // The store's history holds each pass a node was told of once, and no challenge twice.
        string[] rows = [.. History()];
        ILookup<string, string[]> byNode = rows.Select(r => r.Split('|')).ToLookup(r => r[0], StringComparer.Ordinal);
        foreach (SimulatedNodeView n in nodes)
        {
            string[][] mine = [.. byNode[n.TpmHash]];
            int stored = mine.Count(r => r[2] == AttestationVerdicts.Pass);
            Assert.True(stored == n.Passes.Count, $"{n.Hostname}: {stored} passes in the store, {n.Passes.Count} pass answers received");
            Assert.All(mine.Skip(1), r => Assert.Equal(AttestationVerdicts.Pass, r[2]));
        }

        string[] twice = [.. rows.GroupBy(r => r.Split('|')[1]).Where(g => g.Count() > 1).Select(g => g.Key)];
        Assert.True(twice.Length == 0, $"challenges counted twice: {string.Join(", ", twice)}");

        // No false state in the store: every node Trusted.
        string[] states = [.. pg.Psql("SELECT tpm_hash || '|' || (doc::json->>'State') FROM node_attestation", _database)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        Assert.Equal(nodes.Count, states.Length);
        Assert.All(states, s => Assert.EndsWith("|Trusted", s, StringComparison.Ordinal));

        // Verdicts: one NodeTrusted per node (by message id: the outbox publishes at least once, and an
        // event confirmed by the broker just before its publisher was killed may go out again with its
        // id), nothing else. The outbox of a surviving instance publishes what the killed one owed.
        string[] hashes = [.. nodes.Select(n => n.TpmHash)];
        IReadOnlyList<SpiedMessage> seen = [];
        await SimulatedFleet.WaitUntilAsync(
            () => (seen = verdicts.DrainAsync().GetAwaiter().GetResult()).Where(m => m.Is(nameof(NodeTrusted))).Select(Hash).Distinct().Count() >= hashes.Length,
            Slow,
            () => $"NodeTrusted for {seen.Where(m => m.Is(nameof(NodeTrusted))).Select(Hash).Distinct().Count()} of {hashes.Length} nodes\n{Diagnostics()}");
        await Task.Delay(TimeSpan.FromSeconds(2)); // a late duplicate or a false verdict would be here by now
        seen = await verdicts.DrainAsync();
        SpiedMessage[] distinct = [.. seen.DistinctBy(MessageId)];
        Log($"verdict queue: {seen.Count} events, {distinct.Length} distinct: {string.Join(", ", distinct.GroupBy(m => m.MessageTypes[0].Split(':')[^1]).Select(g => $"{g.Count()} {g.Key}"))}");
        Assert.All(distinct, m => Assert.True(m.Is(nameof(NodeTrusted)), $"not NodeTrusted: {string.Join(", ", m.MessageTypes)} for {Hash(m)}"));
        Assert.Equal(hashes.Order(StringComparer.Ordinal), distinct.Select(Hash).Order(StringComparer.Ordinal));
        Assert.False(b.HasExited, b.Output);
        Assert.False(again.HasExited, again.Output);
        Log($"done after {clock.Elapsed.TotalSeconds:0.0}s");
    }

    private ServiceProcess StartVerifier(string name)
    {
        // One store, one secret key (beside the shared --db path), no HTTP port to collide on. The quote
        // rate limit has room above one per node per period: answers held up by the takeover arrive in a
        // burst. Challenges live 60 s and silence counts after 60 s, not 2 and 5 intervals: on this shared
        // 2-core machine (load 13-43 while others built and tested) one verifier answered 50 nodes at 3-5
        // attestations/s, answers took over 30 s, and nodes not yet heard 16 s after their enrolment were
        // reported Silent. Neither is what this test is about; a lost request still times out and fails it.
        ServiceProcess p = ServiceProcess.Start(name, "dotnet",
            [KcryptPushBinaries.Verifier, "run", "--broker", _roles["verifier"], "--db", Path.Combine(_dir, "verifier.db"), "--interval", Interval, "--http", "off"],
            new Dictionary<string, string?>
            {
                ["KCRYPTPUSH_Verifier__Store"] = _store,
                ["KCRYPTPUSH_Verifier__SilentIntervals"] = "12",
                ["KCRYPTPUSH_Verifier__QuotesPerMinute"] = "120",
                ["KCRYPTPUSH_Verifier__ChallengeExpiry"] = "60s",
                ["KCRYPTPUSH_INTERVAL"] = null,
            });
        _verifiers.Add(p);
        return p;
    }

    private async Task WaitForAttestationConsumersAsync(int count, params ServiceProcess[] verifiers)
    {
        var clock = Stopwatch.StartNew();
        while ((await _broker.QueuesAsync()).GetValueOrDefault(KcryptPushQueues.VerifierAttestation).Consumers < count)
        {
            Assert.All(verifiers, v => Assert.False(v.HasExited, v.Output));
            Assert.True(clock.Elapsed < Slow, $"not {count} consumers within {Slow.TotalSeconds:0} s:\n{Diagnostics()}");
            await Task.Delay(250);
        }
    }

    // tpm_hash|challenge id|verdict, one line per history entry.
    private IEnumerable<string> History() =>
        pg.Psql("SELECT tpm_hash || '|' || (doc::json->>'ChallengeId') || '|' || (doc::json->>'Verdict') FROM history ORDER BY id", _database)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int Count(ServiceProcess p, string text) => p.Output.Split('\n').Count(l => l.Contains(text, StringComparison.Ordinal));

    private static string? Hash(SpiedMessage m) => m.Message.TryGetProperty("tpmHash", out JsonElement h) ? h.GetString() : null;

    private static string MessageId(SpiedMessage m)
    {
        using JsonDocument doc = JsonDocument.Parse(m.Body);
        return doc.RootElement.GetProperty("messageId").GetString()!;
    }

    // The end of each running verifier's output: 50 nodes make long logs.
    private string Diagnostics() => string.Join("\n", _verifiers.Select(v => $"--- {v.Name} ---\n{v.Output[Math.Max(0, v.Output.Length - 6000)..]}"));

    private void Log(string line)
    {
        string stamped = $"[{DateTimeOffset.UtcNow:HH:mm:ss.f}] {line}";
        output.WriteLine(stamped);
        Console.WriteLine(stamped);
    }

    private sealed record SimulatedNodeView(string Hostname, string TpmHash, IReadOnlyList<DateTimeOffset> Passes);
}
