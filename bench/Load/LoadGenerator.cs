using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KcryptPush.Bench.Load;

/// <summary>
/// Many simulated nodes attesting against a running verifier over RabbitMQ, measuring what an
/// operator sizes a verifier by: attestations per second, their latency, and (with the verifier's
/// PID) its CPU time per attestation and memory. Closed loop (each node back to back) or open loop
/// (<c>--rate</c>: on a clock, latency from the scheduled time); with <c>--flood</c>, a quiet phase
/// then a phase with a noisy neighbour. Every request crosses the real broker; the verifier does all
/// its checks.
/// </summary>
internal static class LoadGenerator
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(LoadOptions o)
    {
        TextWriter say = o.Json ? Console.Error : Console.Out;
        if (!File.Exists(o.LogPath))
        {
            Console.Error.WriteLine($"bench load: no event log at {o.LogPath} (--log)");
            return 2;
        }

        double? loadBefore = LoadReport.LoadAverage();
        var boot = new BootState(await File.ReadAllBytesAsync(o.LogPath));
        FloodLog? floodLog = null;
        if (o.Flood)
        {
            try
            {
                floodLog = new FloodLog(boot.Log, o.FloodLogBytes);
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine($"bench load: --flood: {e.Message}");
                return 2;
            }
        }

        VerifierProbe? probe = null;
        if (o.VerifierPid is { } pid && (probe = VerifierProbe.Open(pid, out string? problem)) is null)
        {
            Console.Error.WriteLine($"bench load: --verifier-pid: {problem}");
            return 2;
        }

        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection(
        [
            KeyValuePair.Create<string, string?>("Broker:Uri", o.Broker),
            KeyValuePair.Create<string, string?>("Broker:RequestTimeout", "00:01:00"),
        ]).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddKcryptPushBus(config, x =>
        {
            x.AddRequestClient<RequestChallenge>(KcryptPushQueues.VerifierAttestationAddress, RequestTimeout.After(m: 1));
            x.AddRequestClient<QuoteSubmitted>(KcryptPushQueues.VerifierAttestationAddress, RequestTimeout.After(m: 1));
            if (o.Ceiling > TimeSpan.Zero)
            {
                x.AddConsumer<LoadPingConsumer>().Endpoint(e =>
                {
                    e.Name = RoundTripCeiling.Queue;
                    e.Temporary = true;
                });
                x.AddRequestClient<LoadPing>(new Uri($"exchange:{RoundTripCeiling.Queue}?durable=false&autodelete=true"), RequestTimeout.After(s: 30));
            }
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        IBusControl bus = provider.GetRequiredService<IBusControl>();
        using (var start = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await bus.StartAsync(start.Token);
        }

        var nodes = new List<SimulatedNode>();
        try
        {
            CeilingResult? ceiling = null;
            if (o.Ceiling > TimeSpan.Zero)
            {
                ceiling = await RoundTripCeiling.MeasureAsync(provider.GetRequiredService<IRequestClient<LoadPing>>(), o.Nodes, o.Ceiling);
                say.WriteLine(I($"load: bare MassTransit round trip on this broker ({o.Nodes} in flight, {o.Ceiling.TotalSeconds:0.#}s): ")
                    + I($"{ceiling.PerSecond:0}/s, median {Percentile.Of(ceiling.SortedMillis, 0.5):0.00} ms, p99 {Percentile.Of(ceiling.SortedMillis, 0.99):0.00} ms"));
            }

            var ctx = new RunContext(
                provider.GetRequiredService<IRequestClient<RequestChallenge>>(), provider.GetRequiredService<IRequestClient<QuoteSubmitted>>(),
                bus, boot, new LoadStats(), o.OpenLoop ? Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleWriter = true }) : null,
                o.Nodes + (o.Flood ? 1 : 0));
            ulong clockStart = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var created = new SimulatedNode[o.Nodes + (o.Flood ? 1 : 0)];
            Parallel.For(0, created.Length, i => created[i] = new SimulatedNode(i < o.Nodes ? $"load-{i:D5}" : "load-flood", o.Ak, clockStart));
            nodes.AddRange(created);
            string mode = o.Rate is { } rate ? I($"open loop at {rate:0.#}/s") : "closed loop";
            string phasesText = o.Flood ? I($"quiet then flood phase {o.Duration.TotalSeconds:0.#}s each") : I($"measured {o.Duration.TotalSeconds:0.#}s");
            say.WriteLine(I($"load: {o.Nodes} simulated nodes ({(o.Ak == AkKind.Ecc ? "ECC P-256 ECDSA-SHA256" : "RSA 2048 RSASSA-SHA256")} AKs), {mode}, ")
                + I($"warm-up {o.Warmup.TotalSeconds:0.#}s, {phasesText}, log {Path.GetFileName(o.LogPath)} ({boot.Log.Length} bytes), broker {o.BrokerHost}")
                + (probe is null ? "" : $", verifier PID {probe.Pid} ({probe.Command})"));

            Task[] workers = [.. created.Take(o.Nodes).Select(n => Task.Run(() => NodeLoopAsync(n, ctx)))];
            NoisyNeighbour? neighbour = null;
            Task<Challenge?>? neighbourReady = null;
            if (o.Flood)
            {
                neighbour = new NoisyNeighbour(created[^1], boot, floodLog!, ctx.Challenges, ctx.Quotes, o.FloodInFlight);
                neighbourReady = Task.Run(async () =>
                {
                    Challenge? c = await FirstAttestationAsync(created[^1], ctx);
                    ctx.Attested();
                    return c;
                });
            }

            // Enrolment and each node's first quote (with the whole log) are not what is measured.
            var enrolling = Stopwatch.StartNew();
            if (await Task.WhenAny(ctx.AllAttested, Task.Delay(TimeSpan.FromMinutes(5))) != ctx.AllAttested)
            {
                Console.Error.WriteLine($"bench load: only {ctx.AttestedCount} of {ctx.Total} nodes attested within 5 minutes; is the verifier running on {o.BrokerHost}?");
                await ctx.Abort.CancelAsync();
                await Quietly(Task.WhenAll(workers));
                return 1;
            }

            say.WriteLine($"load: all {ctx.Total} nodes enrolled and attested once in {enrolling.Elapsed.TotalSeconds:0.0}s");
            using var sampling = new CancellationTokenSource();
            Task progress = ProgressAsync(o, ctx, probe, neighbour, say, sampling.Token);
            Task rss = probe is null ? Task.CompletedTask : SampleRssAsync(probe, ctx.Stats, sampling.Token);
            Task schedule = ctx.Schedule is { } channel ? ScheduleAsync(o.Rate!.Value, channel.Writer, ctx) : Task.CompletedTask;

            await Task.Delay(o.Warmup);
            await MeasureAsync(o.Flood ? "quiet" : "steady", o.Duration, ctx.Stats, probe, null);
            Task flooding = Task.CompletedTask;
            using var floodStop = new CancellationTokenSource();
            if (neighbour is not null)
            {
                Challenge? first = await neighbourReady!;
                FloodCounts before = neighbour.Snapshot();
                flooding = neighbour.RunAsync(first, floodStop.Token);
                await MeasureAsync("flood", o.Duration, ctx.Stats, probe, () => (neighbour.Snapshot(), before));
            }

            // No new attestations; those begun (or scheduled) in a phase may finish for a while.
            await ctx.NoMore.CancelAsync();
            await floodStop.CancelAsync();
            await schedule;
            Task all = Task.WhenAll(workers);
            if (await Task.WhenAny(all, Task.Delay(Drain)) != all)
            {
                say.WriteLine($"load: attestations still waiting or open {Drain.TotalSeconds:0}s after the end are counted unfinished, at their age then");
            }

            await ctx.Abort.CancelAsync();
            await Quietly(all);
            await Quietly(flooding);
            await sampling.CancelAsync();
            await Quietly(progress);
            await Quietly(rss);

            // Scheduled but never taken by a node: as unfinished as the ones abandoned in flight.
            while (ctx.Schedule?.Reader.TryRead(out long due) == true)
            {
                ctx.Stats.Unfinished(due);
            }

            IReadOnlyList<LoadPhase> phases = ctx.Stats.Phases;

            LoadReport.Print(say, o, phases, probe, ceiling, floodLog);
            if (o.Json)
            {
                Console.Out.WriteLine(LoadReport.Json(o, phases, probe, ceiling, floodLog, loadBefore));
            }

            // An overloaded open loop may answer none of a phase's own attestations in time, and still
            // measure something: fail only when the verifier answered nothing at all.
            return phases.Any(p => p.Completed > 0) ? 0 : 1;
        }
        finally
        {
            await bus.StopAsync();
            foreach (SimulatedNode n in nodes)
            {
                n.Dispose();
            }
        }
    }

    private static async Task MeasureAsync(string name, TimeSpan duration, LoadStats stats, VerifierProbe? probe, Func<(FloodCounts Now, FloodCounts Before)>? flood)
    {
        (long CpuTicks, long RssBytes)? atStart = probe?.TryRead(out _);
        LoadPhase phase = stats.Begin(name);
        phase.CpuTicksStart = atStart?.CpuTicks;
        phase.RssStartBytes = atStart?.RssBytes ?? 0;
        stats.ObserveRss(phase.RssStartBytes);
        await Task.Delay(duration);
        stats.End(phase);
        if (probe?.TryRead(out _) is { } atEnd)
        {
            phase.CpuTicksEnd = atEnd.CpuTicks;
            phase.PeakRssBytes = Math.Max(phase.PeakRssBytes, atEnd.RssBytes);
        }

        if (flood is not null)
        {
            (FloodCounts now, FloodCounts before) = flood();
            phase.Flood = now.Minus(before);
        }
    }

    // A node's life: enrol and attest once with the log (not measured), then attest back to back
    // (closed loop) or whenever the schedule has an attestation due and this node is the first idle one.
    private static async Task NodeLoopAsync(SimulatedNode node, RunContext ctx)
    {
        try
        {
            Challenge? held = await FirstAttestationAsync(node, ctx);
            ctx.Attested();
            if (ctx.Schedule is { } schedule)
            {
                await foreach (long due in schedule.Reader.ReadAllAsync(ctx.Abort.Token))
                {
                    held = await AttestAsync(node, held, due, ctx);
                }
            }
            else
            {
                while (!ctx.NoMore.IsCancellationRequested)
                {
                    held = await AttestAsync(node, held, Stopwatch.GetTimestamp(), ctx);
                }
            }
        }
        catch (OperationCanceledException) when (ctx.Abort.IsCancellationRequested)
        {
            // the run is over
        }
    }

    // Enrolment is NodeEnrolled on the verifier's queue; until it is consumed the verifier answers
    // node-unknown, so publish again until a challenge comes. Returns the next challenge.
    private static async Task<Challenge?> FirstAttestationAsync(SimulatedNode node, RunContext ctx)
    {
        CancellationToken abort = ctx.Abort.Token;
        while (true)
        {
            abort.ThrowIfCancellationRequested();
            try
            {
                Response<Challenge, AttestationRefused> r = await ctx.Challenges.GetResponse<Challenge, AttestationRefused>(new RequestChallenge(node.TpmHash), abort);
                if (!r.Is(out Response<Challenge>? c))
                {
                    await ctx.Bus.Publish(node.Enrolment(), abort);
                    await Task.Delay(200, abort);
                    continue;
                }

                AttestationResult result = await QuoteAsync(node, c!.Message, ctx, abort);
                if (result.NextChallenge is not null)
                {
                    return result.NextChallenge;
                }
            }
            catch (RequestTimeoutException)
            {
                // the verifier is not answering yet; ask again
            }
        }
    }

    // One measured attestation begun (closed loop) or scheduled (open loop) at startedTs.
    private static async Task<Challenge?> AttestAsync(SimulatedNode node, Challenge? held, long startedTs, RunContext ctx)
    {
        CancellationToken abort = ctx.Abort.Token;
        try
        {
            if (held is null)
            {
                Response<Challenge, AttestationRefused> r = await ctx.Challenges.GetResponse<Challenge, AttestationRefused>(new RequestChallenge(node.TpmHash), abort);
                if (!r.Is(out Response<Challenge>? c))
                {
                    r.Is(out Response<AttestationRefused>? refused);
                    ctx.Stats.Problem(startedTs, $"refused:{refused?.Message.ReasonCode}");
                    await Task.Delay(1000, abort);
                    return null;
                }

                held = c!.Message;
            }

            AttestationResult result = await QuoteAsync(node, held, ctx, abort);
            ctx.Stats.Record(startedTs, result);
            return result.NextChallenge;
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            ctx.Stats.Unfinished(startedTs);
            throw;
        }
        catch (RequestTimeoutException)
        {
            ctx.Stats.Problem(startedTs, "timeout");
            return null;
        }
        catch (RequestFaultException)
        {
            ctx.Stats.Problem(startedTs, "fault");
            return null;
        }
    }

    // QuoteSubmitted with the log's digest; again with the log itself when the verifier asks for it.
    private static async Task<AttestationResult> QuoteAsync(SimulatedNode node, Challenge challenge, RunContext ctx, CancellationToken abort)
    {
        AttestationResult result = (await ctx.Quotes.GetResponse<AttestationResult>(node.Quote(challenge, ctx.Boot, withLog: false), abort)).Message;
        if (result.EventLogWanted && result.NextChallenge is { } again)
        {
            result = (await ctx.Quotes.GetResponse<AttestationResult>(node.Quote(again, ctx.Boot, withLog: true), abort)).Message;
        }

        return result;
    }

    // Open loop: attestation i is due at start + i / rate, whatever happened to the ones before; it
    // waits in the channel until a node is idle, and its latency counts from when it was due.
    private static async Task ScheduleAsync(double rate, ChannelWriter<long> schedule, RunContext ctx)
    {
        double period = Stopwatch.Frequency / rate;
        long start = Stopwatch.GetTimestamp();
        long i = 0;
        try
        {
            while (!ctx.NoMore.IsCancellationRequested)
            {
                long now = Stopwatch.GetTimestamp();
                long due;
                while ((due = start + (long)(i * period)) <= now)
                {
                    ctx.Stats.Offered(due);
                    schedule.TryWrite(due);
                    i++;
                }

                TimeSpan wait = Stopwatch.GetElapsedTime(now, due);
                await Task.Delay(wait > TimeSpan.FromMilliseconds(1) ? wait : TimeSpan.FromMilliseconds(1), ctx.NoMore.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
        finally
        {
            schedule.TryComplete();
        }
    }

    private static async Task ProgressAsync(LoadOptions o, RunContext ctx, VerifierProbe? probe, NoisyNeighbour? neighbour, TextWriter say, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        long? lastCpu = probe?.TryRead(out _)?.CpuTicks;
        FloodCounts? lastFlood = neighbour?.Snapshot();
        TimeSpan last = TimeSpan.Zero;
        try
        {
            while (true)
            {
                await Task.Delay(ProgressEvery, stop);
                TimeSpan now = clock.Elapsed;
                double seconds = (now - last).TotalSeconds;
                last = now;
                (List<double> millis, int problems) = ctx.Stats.TakeInterval();
                millis.Sort();
                string phase = ctx.Stats.Active?.Name ?? (ctx.Stats.Phases.Count == 0 ? "warm-up" : "drain");
                var line = new System.Text.StringBuilder(I($"load: {now.TotalSeconds,4:0}s {phase}: {millis.Count / seconds:0.0}/s, ")
                    + $"median {Ms(Percentile.Of(millis, 0.5))} p99 {Ms(Percentile.Of(millis, 0.99))} ms, errors {problems}");
                if (ctx.Schedule is { } schedule)
                {
                    line.Append(CultureInfo.InvariantCulture, $", backlog {schedule.Reader.Count}");
                }

                if (neighbour is not null && neighbour.Snapshot() is { } flood && lastFlood is not null)
                {
                    FloodCounts d = flood.Minus(lastFlood);
                    lastFlood = flood;
                    if (d.Quotes + d.ChallengeRequests > 0)
                    {
                        line.Append(CultureInfo.InvariantCulture, $"; flood {d.Quotes / seconds:0.0} quotes/s, {d.ChallengeRequests / seconds:0} challenge requests/s");
                    }
                }

                if (probe?.TryRead(out _) is { } v)
                {
                    line.Append(CultureInfo.InvariantCulture, $"; verifier CPU {(lastCpu is { } c ? 100 * probe.Seconds(v.CpuTicks - c) / seconds : 0):0}%, RSS {v.RssBytes / (1024.0 * 1024):0} MiB");
                    lastCpu = v.CpuTicks;
                }

                say.WriteLine(line.ToString());
            }
        }
        catch (OperationCanceledException)
        {
            // done
        }
    }

    private static async Task SampleRssAsync(VerifierProbe probe, LoadStats stats, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (probe.TryRead(out _) is { } v)
                {
                    stats.ObserveRss(v.RssBytes);
                }

                await Task.Delay(200, stop);
            }
        }
        catch (OperationCanceledException)
        {
            // done
        }
    }

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Ms(double v) => double.IsNaN(v) ? "-" : v.ToString("0.0", CultureInfo.InvariantCulture);

    private static async Task Quietly(Task t)
    {
        try
        {
            await t;
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    /// <summary>What the workers share.</summary>
    private sealed class RunContext(
        IRequestClient<RequestChallenge> challenges, IRequestClient<QuoteSubmitted> quotes, IBus bus, BootState boot, LoadStats stats,
        Channel<long>? schedule, int total)
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _attested;

        public IRequestClient<RequestChallenge> Challenges => challenges;

        public IRequestClient<QuoteSubmitted> Quotes => quotes;

        public IBus Bus => bus;

        public BootState Boot => boot;

        public LoadStats Stats => stats;

        /// <summary>Open loop: the due times of attestations not yet taken by a node.</summary>
        public Channel<long>? Schedule => schedule;

        public int Total => total;

        public int AttestedCount => Volatile.Read(ref _attested);

        public Task AllAttested => _all.Task;

        /// <summary>Cancelled at the end of the last phase: no attestation starts (or is scheduled) after it.</summary>
        public CancellationTokenSource NoMore { get; } = new();

        /// <summary>Cancelled after the drain: requests still open are abandoned.</summary>
        public CancellationTokenSource Abort { get; } = new();

        public void Attested()
        {
            if (Interlocked.Increment(ref _attested) == total)
            {
                _all.TrySetResult();
            }
        }
    }
}
