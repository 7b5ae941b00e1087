using System.Diagnostics;
using System.Globalization;
using KcryptPush.Bench.Load;
using KcryptPush.Contracts.Text;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KcryptPush.Bench.Transport;

/// <summary>
/// <c>bench transport --broker URI</c>: what the verifier's message path costs without its work. A
/// responder process answers a steady QuoteSubmitted with a pass and its next challenge (no
/// verification, no store) while this process keeps <c>--in-flight</c> MassTransit requests going,
/// as the load generator does; the responder's CPU (utime + stime from /proc, as <c>--verifier-pid</c>)
/// over the measured window, divided by the answers, is the transport's cost per attestation. Three
/// responders, alternated round by round on the same broker so that all see the same machine:
/// MassTransit set up as the verifier's bus with MassTransit's indented JSON and with the compact
/// JSON the services write, and RabbitMQ.Client alone (the agent's library).
/// </summary>
internal static class TransportFloor
{
    private const string Usage = """
        usage: bench transport --broker URI [--in-flight 50] [--warmup 10s] [--duration 20s] [--rounds 2]
          Each round runs a MassTransit responder writing indented JSON (MassTransit's default), one as
          the services' bus (compact JSON), then a RabbitMQ.Client one, each in its own process:
          warm-up (not counted), then the measured window; prints answers/s and the responder's CPU-µs
          per answer, and the median of the rounds.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        string? broker = null;
        int inFlight = 50, rounds = 2;
        TimeSpan warmup = TimeSpan.FromSeconds(10), duration = TimeSpan.FromSeconds(20);
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--broker" when value is not null: broker = value; i++; break;
                case "--in-flight" when int.TryParse(value, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 1000: inFlight = n; i++; break;
                case "--rounds" when int.TryParse(value, CultureInfo.InvariantCulture, out int r) && r is >= 1 and <= 20: rounds = r; i++; break;
                case "--warmup" when Durations.TryParse(value, out TimeSpan w): warmup = w; i++; break;
                case "--duration" when Durations.TryParse(value, out TimeSpan d): duration = d; i++; break;
                case "--help" or "-h": Console.WriteLine(Usage); return 0;
                default: Console.Error.WriteLine($"bench transport: unexpected {args[i]}\n{Usage}"); return 2;
            }
        }

        if (broker is null)
        {
            Console.Error.WriteLine($"bench transport: --broker is required\n{Usage}");
            return 2;
        }

        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create<string, string?>("Broker:Uri", broker)]).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddKcryptPushBus(config);
        await using ServiceProvider provider = services.BuildServiceProvider();
        IBusControl bus = provider.GetRequiredService<IBusControl>();
        await bus.StartAsync();
        var results = new Dictionary<string, List<(double PerSecond, double CpuMicros)>> { ["masstransit-indented"] = [], ["masstransit"] = [], ["rabbitmq"] = [] };
        try
        {
            for (int round = 1; round <= rounds; round++)
            {
                foreach (string kind in results.Keys)
                {
                    (double perSecond, double cpuMicros) = await RoundAsync(bus, broker, kind, inFlight, warmup, duration);
                    results[kind].Add((perSecond, cpuMicros));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"transport: round {round} {kind,-20}: {perSecond,7:0.0} answers/s, responder CPU {cpuMicros,6:0} µs per answer ({inFlight} in flight, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})"));
                }
            }
        }
        finally
        {
            await bus.StopAsync();
        }

        foreach ((string kind, var list) in results)
        {
            double medianCpu = Median(list.Select(r => r.CpuMicros));
            double medianRate = Median(list.Select(r => r.PerSecond));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"transport: {kind,-20} median of {list.Count}: {medianRate:0.0} answers/s, {medianCpu:0} µs of responder CPU per answer"));
        }

        return 0;
    }

    private static async Task<(double PerSecond, double CpuMicros)> RoundAsync(IBus bus, string broker, string kind, int inFlight, TimeSpan warmup, TimeSpan duration)
    {
        string queue = $"kcrypt-push-bench-floor-{kind}-{Environment.ProcessId}";
        using var child = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, ["transport-responder", kind, broker, queue])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("cannot start the responder");
        try
        {
            if (await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) != "ready")
            {
                throw new InvalidOperationException($"the {kind} responder did not start");
            }

            VerifierProbe probe = VerifierProbe.Open(child.Id, out string? problem) ?? throw new InvalidOperationException(problem);
            IRequestClient<QuoteSubmitted> client = bus.CreateRequestClient<QuoteSubmitted>(
                new Uri($"exchange:{queue}?durable=false&autodelete=true"), RequestTimeout.After(s: 30));
            await LoopAsync(client, inFlight, warmup);
            long before = probe.TryRead(out _)!.Value.CpuTicks;
            var clock = Stopwatch.StartNew();
            long answers = await LoopAsync(client, inFlight, duration);
            TimeSpan took = clock.Elapsed;
            long after = probe.TryRead(out _)!.Value.CpuTicks;
            return (answers / took.TotalSeconds, probe.Seconds(after - before) * 1e6 / Math.Max(answers, 1));
        }
        finally
        {
            child.StandardInput.Close();
            if (!child.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                child.Kill();
            }
        }
    }

    private static async Task<long> LoopAsync(IRequestClient<QuoteSubmitted> client, int inFlight, TimeSpan duration)
    {
        using var stop = new CancellationTokenSource(duration);
        long answers = 0;
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(node => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Response<AttestationResult> r = await client.GetResponse<AttestationResult>(FloorMessages.Quote(node));
                if (r.Message.NextChallenge is null)
                {
                    throw new InvalidOperationException("an answer without its next challenge");
                }

                Interlocked.Increment(ref answers);
            }
        })));
        return answers;
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
