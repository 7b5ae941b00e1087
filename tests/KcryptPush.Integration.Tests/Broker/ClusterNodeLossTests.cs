using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using KcryptPush.Bench.Load;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Attestation;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace KcryptPush.Integration.Tests.Broker;

/// <summary>
/// Issue 10 item 4: a three-node RabbitMQ cluster with quorum queues loses a node mid-run and nothing
/// is lost. The registrar and the verifier run as processes with <c>Broker:QueueType=quorum</c> and
/// <c>Broker:ClusterNodes</c>, connected to n1 (so the queues they declare have their leaders there);
/// simulated nodes (the load generator's <see cref="SimulatedNode"/>: software AKs, a real event log)
/// attest through n2 in a steady stream, new ones enrolling throughout; n1 is SIGKILLed mid-run. Every
/// request must get its answer, every node pass, every verdict event reach a quorum queue bound to
/// the verdict exchange exactly once, nothing be quarantined or silent, and both services consume
/// again by themselves on a surviving node.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ClusterNodeLossTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int FirstNodes = 12;
    private const int LaterNodes = 12;

    // Each node attests every 2 s (the verifier is told 600 quotes per node per minute so the burst
    // of answers after the failover is not refused as rate-limited); a new node enrols every 3 s, so
    // enrolments and their NodeTrusted events span the node loss.
    private static readonly TimeSpan NodePeriod = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan JoinEvery = TimeSpan.FromSeconds(3);

    // Bounds for a loaded 2-core machine (five engineers' builds and tests beside this one).
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(3);

    private readonly RabbitMqCluster _cluster = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-it-cluster-").FullName;
    private readonly List<Fixtures.ServiceProcess> _services = [];

    public Task InitializeAsync() => _cluster.InitializeAsync();

    public async Task DisposeAsync()
    {
        foreach (Fixtures.ServiceProcess s in _services)
        {
            s.Dispose();
        }

        await _cluster.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [RabbitMqClusterFact]
    public async Task Killing_the_node_that_holds_the_services_and_the_queue_leaders_loses_nothing()
    {
        IReadOnlyDictionary<string, string> roles = await _cluster.CreateRoleUsersAsync();
        Log($"cluster: {string.Join(", ", _cluster.Nodes)}");

        // The services name n1 in their URI and the other two in Broker:ClusterNodes.
        var quorum = new Dictionary<string, string?>
        {
            ["KCRYPTPUSH_Broker__QueueType"] = "quorum",
            ["KCRYPTPUSH_Broker__ClusterNodes"] = _cluster.OthersThan(1),
        };
        string caDir = Directory.CreateDirectory(Path.Combine(_dir, "ek-ca")).FullName;
        Fixtures.ServiceProcess registrar = Start(Fixtures.ServiceProcess.Start("registrar", "dotnet",
            [KcryptPushBinaries.Registrar, "run", "--broker", roles["registrar"], "--db", Path.Combine(_dir, "registrar.db"),
                "--ek-ca-dir", caDir, "--require-ek-cert", "false", "--http", "off"], quorum));
        Fixtures.ServiceProcess verifier = Start(Fixtures.ServiceProcess.Start("verifier", "dotnet",
            [KcryptPushBinaries.Verifier, "run", "--broker", roles["verifier"], "--db", Path.Combine(_dir, "verifier.db"), "--http", "off"],
            new Dictionary<string, string?>(quorum) { ["KCRYPTPUSH_Verifier__QuotesPerMinute"] = "600" }));
        string[] serviceQueues = [KcryptPushQueues.Registrar, KcryptPushQueues.VerifierEnrolment, KcryptPushQueues.VerifierAttestation];
        await WaitForConsumersAsync(2, serviceQueues, Slow, registrar, verifier);

        IReadOnlyDictionary<string, string[]> queues = await _cluster.QueuesAsync(2, "type", "leader");
        Log("queues (name type leader): " + string.Join("; ", queues.Select(q => $"{q.Key} {string.Join(' ', q.Value)}")));
        foreach (string q in serviceQueues)
        {
            Assert.True(queues.TryGetValue(q, out string[]? v) && v[0] == "quorum", $"{q} is not a quorum queue");
        }

        // What is killed: the node the services are connected to, which leads the queues they declared.
        int victim = _cluster.NodeOfName(queues[KcryptPushQueues.VerifierAttestation][1]);
        Assert.Equal(1, victim);
        Assert.Equal(1, _cluster.NodeOfName(queues[KcryptPushQueues.Registrar][1]));
        IReadOnlyList<(string User, int Node)> connections = await ConnectionsAsync(2);
        Assert.Contains(("kcrypt-verifier", 1), connections);
        Assert.Contains(("kcrypt-registrar", 1), connections);

        // An alert consumer's quorum queue on the verdict exchange, led by n1 too.
        QuorumQueueSpy spy = await QuorumQueueSpy.StartAsync(_cluster.On(_cluster.AdminUri, 1), KcryptPushQueues.VerdictExchange);
        Assert.Equal(1, _cluster.NodeOfName((await _cluster.QueuesAsync(2, "leader"))[spy.Queue][0]));

        // The simulated nodes' side: a MassTransit bus as the services have it, on n2 first.
        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection(
        [
            KeyValuePair.Create<string, string?>("Broker:Uri", _cluster.On(_cluster.AdminUri, 2)),
            KeyValuePair.Create<string, string?>("Broker:ClusterNodes", _cluster.OthersThan(2)),
            KeyValuePair.Create<string, string?>("Broker:ConnectionName", "cluster-test-nodes"),
        ]).Build();
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddKcryptPushBus(config, x =>
        {
            // Longer than any failover here: a request that times out counts as lost, it is never re-sent.
            x.AddRequestClient<RequestChallenge>(KcryptPushQueues.VerifierAttestationAddress, RequestTimeout.After(m: 4));
            x.AddRequestClient<QuoteSubmitted>(KcryptPushQueues.VerifierAttestationAddress, RequestTimeout.After(m: 4));
        });
        await using ServiceProvider provider = collection.BuildServiceProvider();
        IBusControl bus = provider.GetRequiredService<IBusControl>();
        using (var starting = new CancellationTokenSource(Slow))
        {
            await bus.StartAsync(starting.Token);
        }

        var boot = new BootState(await File.ReadAllBytesAsync(AttestationClassFixture.SharedLog));
        var traffic = new Traffic(provider.GetRequiredService<IRequestClient<RequestChallenge>>(), provider.GetRequiredService<IRequestClient<QuoteSubmitted>>(), bus, boot);
        ulong clockStart = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var nodes = new List<SimulatedNode>();
        var loops = new List<Task>();
        try
        {
            for (int i = 0; i < FirstNodes; i++)
            {
                var node = new SimulatedNode($"cluster-{i:D3}", AkKind.Ecc, clockStart);
                nodes.Add(node);
                loops.Add(Task.Run(() => traffic.NodeAsync(node)));
            }

            await WaitUntilAsync(() => traffic.PassedNodes >= FirstNodes, Slow, () => $"only {traffic.PassedNodes} of {FirstNodes} nodes passed; problems: {traffic.ProblemText}\n{verifier.Output}");
            Log($"{FirstNodes} nodes enrolled and passing");

            // Later nodes enrol one by one from now on, across the node loss.
            Task joining = Task.Run(async () =>
            {
                for (int i = 0; i < LaterNodes; i++)
                {
                    await Task.Delay(JoinEvery);
                    var node = new SimulatedNode($"cluster-{FirstNodes + i:D3}", AkKind.Ecc, clockStart);
                    lock (nodes)
                    {
                        nodes.Add(node);
                        loops.Add(Task.Run(() => traffic.NodeAsync(node)));
                    }
                }
            });

            await Task.Delay(TimeSpan.FromSeconds(10));
            long answeredBeforeKill = traffic.Answered;
            long killedAt = Stopwatch.GetTimestamp();
            traffic.KilledAt = killedAt;
            await _cluster.KillAsync(victim);
            Log($"SIGKILLed n{victim} ({_cluster.Nodes[victim - 1]}) after {answeredBeforeKill} answered requests");

            // Both services consume again, on a surviving node, by themselves.
            TimeSpan registrarBack = TimeSpan.Zero, verifierBack = TimeSpan.Zero;
            await WaitAsync(
                async () =>
                {
                    IReadOnlyDictionary<string, string[]> q = await _cluster.QueuesAsync(2, "consumers");
                    bool Has(string name) => q.TryGetValue(name, out string[]? c) && int.TryParse(c[0], CultureInfo.InvariantCulture, out int n) && n > 0;
                    if (registrarBack == TimeSpan.Zero && Has(KcryptPushQueues.Registrar))
                    {
                        registrarBack = Stopwatch.GetElapsedTime(killedAt);
                    }

                    if (verifierBack == TimeSpan.Zero && Has(KcryptPushQueues.VerifierAttestation) && Has(KcryptPushQueues.VerifierEnrolment))
                    {
                        verifierBack = Stopwatch.GetElapsedTime(killedAt);
                    }

                    return registrarBack > TimeSpan.Zero && verifierBack > TimeSpan.Zero;
                },
                Slow,
                () => $"services not consuming again after the loss of n{victim}:\nregistrar:\n{registrar.Output}\nverifier:\n{verifier.Output}");
            IReadOnlyList<(string User, int Node)> after = await ConnectionsAsync(2);
            Log($"consuming again: registrar {registrarBack.TotalSeconds:0.0}s, verifier {verifierBack.TotalSeconds:0.0}s after the kill; connections now {string.Join(", ", after.Select(c => $"{c.User}@n{c.Node}"))}");
            Assert.Contains(after, c => c.User == "kcrypt-verifier" && c.Node != victim);
            Assert.Contains(after, c => c.User == "kcrypt-registrar" && c.Node != victim);
            IReadOnlyDictionary<string, string[]> leaders = await _cluster.QueuesAsync(2, "leader");
            Log("leaders now: " + string.Join("; ", leaders.Select(q => $"{q.Key} {q.Value[0]}")));
            Assert.All(serviceQueues.Append(spy.Queue), q => Assert.NotEqual(victim, _cluster.NodeOfName(leaders[q][0])));

            // Traffic goes on after the services are back, then stops; every request begun is waited for.
            await joining;
            await Task.Delay(TimeSpan.FromSeconds(20));
            traffic.Stop.Cancel();
            Task[] all;
            lock (nodes)
            {
                all = [.. loops];
            }

            Task done = Task.WhenAll(all);
            Assert.True(await Task.WhenAny(done, Task.Delay(Slow)) == done, $"requests still unanswered {Slow} after the traffic stopped: {traffic.Sent - traffic.Answered}");
            await done;

            Log($"requests: {traffic.Sent} sent, {traffic.Answered} answered, {traffic.AnsweredAfterKill} of them after the kill; "
                + $"longest time without an answer after the kill {traffic.LongestSilenceAfterKill.TotalSeconds:0.0}s; slowest answer {traffic.Slowest.TotalSeconds:0.0}s; "
                + $"attestations passed {traffic.Passes}; problems {traffic.Problems.Count}");
            Assert.True(traffic.Problems.IsEmpty, $"problems:\n{traffic.ProblemText}\nverifier:\n{verifier.Output}");
            Assert.Equal(traffic.Sent, traffic.Answered);
            Assert.Equal(nodes.Count, traffic.PassedNodes);
            Assert.True(traffic.PassesAfterServicesBack(verifierBack) > nodes.Count, $"only {traffic.PassesAfterServicesBack(verifierBack)} passes after the verifier was back");

            // Every verdict the verifier published reaches the quorum queue once: one NodeTrusted per node, nothing else.
            var expected = nodes.Select(n => n.TpmHash).ToHashSet(StringComparer.Ordinal);
            string survivor = _cluster.On(_cluster.AdminUri, 2);
            IReadOnlyList<SpiedMessage> verdicts = [];
            await WaitAsync(
                async () =>
                {
                    verdicts = await spy.DrainAsync(survivor);
                    return expected.All(h => verdicts.Any(m => m.Is(nameof(NodeTrusted)) && m.Message.GetProperty("tpmHash").GetString() == h));
                },
                Slow,
                () => $"NodeTrusted received for {verdicts.Count} of {expected.Count} nodes\n{verifier.Output}");
            await Task.Delay(TimeSpan.FromSeconds(5)); // a duplicate would arrive by now
            verdicts = await spy.DrainAsync(survivor);
            string[] kinds = [.. verdicts.Select(m => string.Join('|', m.MessageTypes))];
            Assert.All(verdicts, m => Assert.True(m.Is(nameof(NodeTrusted)), $"not NodeTrusted: {string.Join(", ", m.MessageTypes)}"));
            Dictionary<string, int> perNode = verdicts.GroupBy(m => m.Message.GetProperty("tpmHash").GetString()!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            Assert.Equal(expected.Order(), perNode.Keys.Order());
            Assert.All(perNode, kv => Assert.True(kv.Value == 1, $"{kv.Key}: NodeTrusted received {kv.Value} times"));
            int published = verifier.Output.Split('\n').Count(l => l.Contains("Published NodeTrusted for ", StringComparison.Ordinal));
            Assert.Equal(expected.Count, published);
            Assert.DoesNotContain("NodeQuarantined", verifier.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("NodeSilent", verifier.Output, StringComparison.Ordinal);
            Log($"verdict queue: {verdicts.Count} events, one NodeTrusted for each of {expected.Count} nodes; verifier logged {published} published");

            Assert.False(registrar.HasExited, registrar.Output);
            Assert.False(verifier.HasExited, verifier.Output);
        }
        finally
        {
            traffic.Stop.Cancel();
            await bus.StopAsync();
            lock (nodes)
            {
                foreach (SimulatedNode n in nodes)
                {
                    n.Dispose();
                }
            }
        }
    }

    private Fixtures.ServiceProcess Start(Fixtures.ServiceProcess p)
    {
        _services.Add(p);
        return p;
    }

    private void Log(string line) => output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.f} {line}");

    private async Task WaitForConsumersAsync(int node, string[] queues, TimeSpan timeout, params Fixtures.ServiceProcess[] services)
    {
        await WaitAsync(
            async () =>
            {
                IReadOnlyDictionary<string, string[]> q = await _cluster.QueuesAsync(node, "consumers");
                return queues.All(n => q.TryGetValue(n, out string[]? c) && c[0] != "0");
            },
            timeout,
            () => string.Join("\n", services.Select(s => $"{s.Name}:\n{s.Output}")));
    }

    // list_connections (cluster-wide): each connection's user and the node it is on, by its server port.
    private async Task<IReadOnlyList<(string User, int Node)>> ConnectionsAsync(int node)
    {
        (int code, string stdout, string stderr) = await _cluster.Ctl(node, "list_connections", "-q", "--no-table-headers", "user", "port");
        Assert.True(code == 0, stderr);
        return [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 2 && int.TryParse(f[1], CultureInfo.InvariantCulture, out _))
            .Select(f => (f[0], _cluster.NodeOfPort(int.Parse(f[1], CultureInfo.InvariantCulture))))];
    }

    private static Task WaitUntilAsync(Func<bool> done, TimeSpan timeout, Func<string> why) => WaitAsync(() => Task.FromResult(done()), timeout, why);

    private static async Task WaitAsync(Func<Task<bool>> done, TimeSpan timeout, Func<string> why)
    {
        var clock = Stopwatch.StartNew();
        while (!await done())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"not within {timeout}: {why()}");
            }

            await Task.Delay(500);
        }
    }

    /// <summary>The simulated nodes' requests and what came of them.</summary>
    private sealed class Traffic(IRequestClient<RequestChallenge> challenges, IRequestClient<QuoteSubmitted> quotes, IBus bus, BootState boot)
    {
        private readonly ConcurrentDictionary<string, bool> _passed = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<long> _passTimes = new();
        private readonly ConcurrentQueue<long> _answerTimes = new();
        private long _sent, _answered, _answeredAfterKill, _slowestTicks;

        public CancellationTokenSource Stop { get; } = new();

        public ConcurrentQueue<string> Problems { get; } = new();

        public string ProblemText => string.Join("\n", Problems.Take(40));

        public long Sent => Interlocked.Read(ref _sent);

        public long Answered => Interlocked.Read(ref _answered);

        public long AnsweredAfterKill => Interlocked.Read(ref _answeredAfterKill);

        public int PassedNodes => _passed.Count;

        public int Passes => _passTimes.Count;

        public long KilledAt { get; set; } = long.MaxValue;

        /// <summary>The longest stretch after the kill (counted from it) in which no request was answered: what the nodes saw of the failover.</summary>
        public TimeSpan LongestSilenceAfterKill
        {
            get
            {
                long[] times = [KilledAt, .. _answerTimes.Where(t => t > KilledAt).Order()];
                return times.Length < 2 ? TimeSpan.MaxValue : Stopwatch.GetElapsedTime(0, times.Zip(times.Skip(1), (a, b) => b - a).Max());
            }
        }

        public TimeSpan Slowest => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _slowestTicks));

        public int PassesAfterServicesBack(TimeSpan back) => _passTimes.Count(t => t - KilledAt > back.TotalSeconds * Stopwatch.Frequency);

        // A node's life: enrol, then attest every NodePeriod with the challenge the last answer held.
        public async Task NodeAsync(SimulatedNode node)
        {
            Challenge? held = null;
            bool passed = false;
            await Publish(node.Enrolment());
            while (!Stop.IsCancellationRequested)
            {
                try
                {
                    if (held is null)
                    {
                        Response<Challenge, AttestationRefused> r = await Ask(() => challenges.GetResponse<Challenge, AttestationRefused>(new RequestChallenge(node.TpmHash)));
                        if (r.Is(out Response<Challenge>? c))
                        {
                            held = c!.Message;
                        }
                        else
                        {
                            r.Is(out Response<AttestationRefused>? refused);
                            if (refused!.Message.ReasonCode != AttestationReasonCodes.NodeUnknown || passed)
                            {
                                Problems.Enqueue($"{node.Hostname}: challenge refused: {refused.Message.ReasonCode} {refused.Message.Message}");
                            }

                            // Not enrolled yet (NodeEnrolled not consumed, or published before the queue was bound): again.
                            await Task.Delay(500, Stop.Token);
                            await Publish(node.Enrolment());
                            continue;
                        }
                    }

                    AttestationResult result = (await Ask(() => quotes.GetResponse<AttestationResult>(node.Quote(held, boot, withLog: false)))).Message;
                    if (result.EventLogWanted && result.NextChallenge is { } again)
                    {
                        result = (await Ask(() => quotes.GetResponse<AttestationResult>(node.Quote(again, boot, withLog: true)))).Message;
                    }

                    if (result.Verdict == AttestationVerdicts.Pass)
                    {
                        passed = true;
                        _passed[node.TpmHash] = true;
                        _passTimes.Enqueue(Stopwatch.GetTimestamp());
                    }
                    else
                    {
                        Problems.Enqueue($"{node.Hostname}: {result.Verdict} {string.Join(", ", result.Reasons.Select(x => $"{x.Code}: {x.Message}"))}");
                    }

                    held = result.NextChallenge;
                    await Task.Delay(NodePeriod, Stop.Token);
                }
                catch (OperationCanceledException) when (Stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is RequestTimeoutException or RequestFaultException or MassTransitException)
                {
                    // Recorded by Ask; go on with a fresh challenge.
                    held = null;
                }
            }
        }

        private async Task Publish(NodeEnrolled enrolment)
        {
            try
            {
                await bus.Publish(enrolment);
            }
            catch (Exception e) when (e is MassTransitException or OperationCanceledException)
            {
                Problems.Enqueue($"{enrolment.Hostname}: NodeEnrolled not published: {e.GetType().Name}: {e.Message}");
            }
        }

        private async Task<T> Ask<T>(Func<Task<T>> request)
        {
            Interlocked.Increment(ref _sent);
            long sentAt = Stopwatch.GetTimestamp();
            try
            {
                T answer = await request();
                long now = Stopwatch.GetTimestamp();
                Interlocked.Increment(ref _answered);
                _answerTimes.Enqueue(now);
                if (now > KilledAt)
                {
                    Interlocked.Increment(ref _answeredAfterKill);
                }

                long took = now - sentAt, slowest;
                while (took > (slowest = Interlocked.Read(ref _slowestTicks)) && Interlocked.CompareExchange(ref _slowestTicks, took, slowest) != slowest)
                {
                }

                return answer;
            }
            catch (Exception e)
            {
                Problems.Enqueue($"request sent {(sentAt > KilledAt ? "after" : "before")} the kill not answered: {e.GetType().Name}: {e.Message}");
                throw;
            }
        }
    }
}
