using System.Diagnostics;
using MassTransit;

namespace KcryptPush.Bench.Load;

/// <summary>A trivial request (<c>--ceiling</c>): what a MassTransit round trip costs on this broker.</summary>
/// <param name="Sent">Stopwatch timestamp of the sender.</param>
public sealed record LoadPing(long Sent);

/// <summary>The answer to <see cref="LoadPing"/>.</summary>
/// <param name="Sent">The request's timestamp, echoed.</param>
public sealed record LoadPong(long Sent);

/// <summary>Answers <see cref="LoadPing"/> at once, on a temporary queue of the load generator's own bus.</summary>
public sealed class LoadPingConsumer : IConsumer<LoadPing>
{
    /// <inheritdoc/>
    public Task Consume(ConsumeContext<LoadPing> context) => context.RespondAsync(new LoadPong(context.Message.Sent));
}

/// <summary>
/// The bare MassTransit request/response ceiling on the same broker: as many requests in flight as
/// there are nodes, back to back, to a consumer that only answers, with the bus setup every service
/// uses (publisher confirms, retry filter, in-memory outbox). Requester and consumer share the load
/// generator's process, so this is an upper bound of what the broker and MassTransit allow, not of
/// the verifier.
/// </summary>
internal static class RoundTripCeiling
{
    /// <summary>The queue of this process's ping consumer.</summary>
    public static string Queue { get; } = $"kcrypt-push-bench-ping-{Environment.ProcessId}";

    public static async Task<CeilingResult> MeasureAsync(IRequestClient<LoadPing> client, int concurrency, TimeSpan duration)
    {
        // One second to declare the queue and JIT, not counted.
        await RunAsync(client, Math.Min(concurrency, 8), TimeSpan.FromSeconds(1), []);
        var millis = new List<double>();
        var clock = Stopwatch.StartNew();
        int timeouts = await RunAsync(client, concurrency, duration, millis);
        TimeSpan took = clock.Elapsed;
        millis.Sort();
        return new CeilingResult(millis.Count, timeouts, took, millis);
    }

    private static async Task<int> RunAsync(IRequestClient<LoadPing> client, int concurrency, TimeSpan duration, List<double> millis)
    {
        using var stop = new CancellationTokenSource(duration);
        int timeouts = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                long sent = Stopwatch.GetTimestamp();
                try
                {
                    await client.GetResponse<LoadPong>(new LoadPing(sent), CancellationToken.None, RequestTimeout.After(s: 30));
                }
                catch (RequestTimeoutException)
                {
                    Interlocked.Increment(ref timeouts);
                    continue;
                }

                double ms = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                lock (millis)
                {
                    millis.Add(ms);
                }
            }
        })));
        return timeouts;
    }
}

/// <summary>The ceiling: requests answered in <paramref name="Took"/>, with their latencies (sorted).</summary>
internal sealed record CeilingResult(int Requests, int Timeouts, TimeSpan Took, List<double> SortedMillis)
{
    public double PerSecond => Requests / Took.TotalSeconds;
}
