using System.Collections.Concurrent;
using System.Diagnostics;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KcryptPush.Bench.Load;

/// <summary>
/// Many simulated nodes attesting back to back against a running verifier over RabbitMQ, measuring
/// what an operator sizes a verifier by: attestations per second and the round-trip latency of a
/// QuoteSubmitted. Every request crosses the real broker; the verifier does all its checks.
/// </summary>
internal static class LoadGenerator
{
    public static async Task<int> RunAsync(LoadOptions o)
    {
        if (!File.Exists(o.LogPath))
        {
            Console.Error.WriteLine($"bench load: no event log at {o.LogPath} (--log)");
            return 2;
        }

        var boot = new BootState(await File.ReadAllBytesAsync(o.LogPath));
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
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        IBusControl bus = provider.GetRequiredService<IBusControl>();
        using (var start = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await bus.StartAsync(start.Token);
        }

        try
        {
            IRequestClient<RequestChallenge> challenges = provider.GetRequiredService<IRequestClient<RequestChallenge>>();
            IRequestClient<QuoteSubmitted> quotes = provider.GetRequiredService<IRequestClient<QuoteSubmitted>>();
            ulong clockStart = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var nodes = new SimulatedNode[o.Nodes];
            Parallel.For(0, o.Nodes, i => nodes[i] = new SimulatedNode(i, clockStart)); // two RSA-2048 keys each
            Console.WriteLine($"load: {o.Nodes} simulated nodes, warm-up {o.Warmup.TotalSeconds:0.#}s, measured {o.Duration.TotalSeconds:0.#}s, log {Path.GetFileName(o.LogPath)} ({boot.Log.Length} bytes)");

            var stats = new LoadStats();
            var measuring = new Flag();
            using var attested = new CountdownEvent(o.Nodes);
            using var stop = new CancellationTokenSource();
            Task[] workers = [.. nodes.Select(n => Task.Run(() => AttestLoopAsync(n, bus, challenges, quotes, boot, stats, measuring, attested, stop.Token)))];

            // Enrolment and each node's first quote (with the whole log) are not what is measured.
            var enrolling = Stopwatch.StartNew();
            if (!attested.Wait(TimeSpan.FromMinutes(5)))
            {
                Console.Error.WriteLine($"bench load: only {o.Nodes - attested.CurrentCount} of {o.Nodes} nodes attested within 5 minutes; is the verifier running on {BrokerAddressForLog(o.Broker)}?");
                await stop.CancelAsync();
                await Task.WhenAll(workers);
                return 1;
            }

            Console.WriteLine($"load: all {o.Nodes} nodes enrolled and attested once in {enrolling.Elapsed.TotalSeconds:0.0}s");
            await Task.Delay(o.Warmup);
            stats.Reset();
            measuring.Value = true;
            var clock = Stopwatch.StartNew();
            await Task.Delay(o.Duration);
            measuring.Value = false;
            TimeSpan measured = clock.Elapsed;
            await stop.CancelAsync();
            await Task.WhenAll(workers);
            foreach (SimulatedNode n in nodes)
            {
                n.Dispose();
            }

            stats.Print(measured, o.Nodes);
            return stats.Passed > 0 ? 0 : 1;
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    private static async Task AttestLoopAsync(
        SimulatedNode node, IBus bus, IRequestClient<RequestChallenge> challenges, IRequestClient<QuoteSubmitted> quotes,
        BootState boot, LoadStats stats, Flag measuring, CountdownEvent attested, CancellationToken stop)
    {
        Challenge? held = null;
        bool first = true;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (held is null)
                {
                    // Enrolment is NodeEnrolled on the verifier's queue; until it is consumed the
                    // verifier answers node-unknown, so publish again until a challenge comes.
                    Response<Challenge, AttestationRefused> r = await challenges.GetResponse<Challenge, AttestationRefused>(new RequestChallenge(node.TpmHash), stop);
                    if (r.Is(out Response<Challenge>? c))
                    {
                        held = c!.Message;
                    }
                    else
                    {
                        await bus.Publish(node.Enrolment(), stop);
                        await Task.Delay(200, stop);
                        continue;
                    }
                }

                long started = Stopwatch.GetTimestamp();
                AttestationResult result = (await quotes.GetResponse<AttestationResult>(node.Quote(held, boot, withLog: false), stop)).Message;
                if (result.EventLogWanted && result.NextChallenge is { } again)
                {
                    result = (await quotes.GetResponse<AttestationResult>(node.Quote(again, boot, withLog: true), stop)).Message;
                }

                if (measuring.Value)
                {
                    stats.Record(Stopwatch.GetElapsedTime(started), result);
                }

                if (first)
                {
                    first = false;
                    attested.Signal();
                }

                held = result.NextChallenge;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (RequestTimeoutException)
            {
                stats.Timeout(measuring.Value);
                held = null;
            }
        }
    }

    private static string BrokerAddressForLog(string uri) =>
        System.Uri.TryCreate(uri, UriKind.Absolute, out Uri? u) ? $"{u.Host}:{u.Port}" : "the broker";

    /// <summary>Whether samples count; read by the workers without a lock (a late read moves one sample).</summary>
    private sealed class Flag
    {
        public volatile bool Value;
    }
}
