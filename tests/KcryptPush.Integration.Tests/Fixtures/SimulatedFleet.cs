using System.Collections.Concurrent;
using System.Diagnostics;
using KcryptPush.Bench.Load;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>
/// Many nodes without a TPM attesting through the real broker, as the load generator's nodes do
/// (<see cref="SimulatedNode"/>: software AKs, quotes over a real event log's PCR values): each node
/// enrols through the verifier's enrolment consumer (NodeEnrolled, published again until the verifier
/// knows it), then attests every <c>period</c> with the challenge the last answer held, sending its log
/// when asked, as an agent does. What every request came to is counted per node, with times, so a test
/// can say what was answered, what passed and what went wrong, and when.
/// </summary>
internal sealed class SimulatedFleet : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly IBusControl _bus;
    private readonly IRequestClient<RequestChallenge> _challenges;
    private readonly IRequestClient<QuoteSubmitted> _quotes;
    private readonly BootState _boot;
    private readonly TimeSpan _period;
    private readonly ulong _clockStart = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<DateTimeOffset>> _passes = new(StringComparer.Ordinal);
    private readonly List<SimulatedNode> _nodes = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stop = new();
    private long _sent, _answered;

    private SimulatedFleet(ServiceProvider provider, BootState boot, TimeSpan period)
    {
        _provider = provider;
        _bus = provider.GetRequiredService<IBusControl>();
        _challenges = provider.GetRequiredService<IRequestClient<RequestChallenge>>();
        _quotes = provider.GetRequiredService<IRequestClient<QuoteSubmitted>>();
        _boot = boot;
        _period = period;
    }

    /// <summary>Every problem, with when it happened: a request not answered, an answer other than pass (but the log request).</summary>
    public ConcurrentQueue<(DateTimeOffset At, string What)> Problems { get; } = new();

    public long Sent => Interlocked.Read(ref _sent);

    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>The nodes started so far.</summary>
    public IReadOnlyList<SimulatedNode> Nodes
    {
        get
        {
            lock (_nodes)
            {
                return [.. _nodes];
            }
        }
    }

    /// <summary>Nodes that have passed at least once.</summary>
    public int PassedNodes => _passes.Count(p => !p.Value.IsEmpty);

    /// <summary>Pass answers received by <paramref name="tpmHash"/>, in order.</summary>
    public IReadOnlyList<DateTimeOffset> PassesOf(string tpmHash) => _passes.TryGetValue(tpmHash, out ConcurrentQueue<DateTimeOffset>? q) ? [.. q] : [];

    public string ProblemText(int max = 40) => string.Join("\n", Problems.Take(max).Select(p => $"{p.At:HH:mm:ss.f} {p.What}"));

    /// <summary>A bus on <paramref name="brokerUri"/> (a user that may publish NodeEnrolled: the admin) whose requests wait <paramref name="requestTimeout"/>.</summary>
    public static async Task<SimulatedFleet> StartAsync(string brokerUri, string eventLog, TimeSpan period, TimeSpan requestTimeout)
    {
        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection(
        [
            KeyValuePair.Create<string, string?>("Broker:Uri", brokerUri),
            KeyValuePair.Create<string, string?>("Broker:ConnectionName", "simulated-fleet"),
        ]).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddKcryptPushBus(config, x =>
        {
            x.AddRequestClient<RequestChallenge>(KcryptPushQueues.VerifierAttestationAddress, RequestTimeout.After(ms: (int)requestTimeout.TotalMilliseconds));
            x.AddRequestClient<QuoteSubmitted>(KcryptPushQueues.VerifierAttestationAddress, RequestTimeout.After(ms: (int)requestTimeout.TotalMilliseconds));
        });
        ServiceProvider provider = services.BuildServiceProvider();
        try
        {
            using var starting = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await provider.GetRequiredService<IBusControl>().StartAsync(starting.Token);
            return new SimulatedFleet(provider, new BootState(await File.ReadAllBytesAsync(eventLog)), period);
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts <paramref name="count"/> nodes named <paramref name="prefix"/>-N; each first attests within one period (spread, not all at once).</summary>
    public void Add(string prefix, int count)
    {
        lock (_nodes)
        {
            int first = _nodes.Count;
            for (int i = 0; i < count; i++)
            {
                var node = new SimulatedNode($"{prefix}-{first + i:D4}", AkKind.Ecc, _clockStart);
                _nodes.Add(node);
                TimeSpan offset = _period * Random.Shared.NextDouble();
                _loops.Add(Task.Run(() => NodeAsync(node, offset)));
            }
        }
    }

    /// <summary>Waits until <paramref name="done"/> holds, failing with <paramref name="why"/> after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> done, TimeSpan timeout, Func<string> why)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"not within {timeout.TotalSeconds:0} s: {why()}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>No new requests; waits (at most <paramref name="timeout"/>) for those in flight. False when some are still open.</summary>
    public async Task<bool> StopAsync(TimeSpan timeout)
    {
        await _stop.CancelAsync();
        Task all;
        lock (_nodes)
        {
            all = Task.WhenAll(_loops);
        }

        return await Task.WhenAny(all, Task.Delay(timeout)) == all;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _bus.StopAsync();
        }
        catch (Exception e) when (e is MassTransitException or OperationCanceledException)
        {
            // the broker is gone already
        }

        await _provider.DisposeAsync();
        lock (_nodes)
        {
            foreach (SimulatedNode n in _nodes)
            {
                n.Dispose();
            }
        }

        _stop.Dispose();
    }

    // A node's life: enrol, then attest every period with the challenge the last answer held; after a
    // request that got no answer, start again with a fresh challenge, as the agent does.
    private async Task NodeAsync(SimulatedNode node, TimeSpan offset)
    {
        CancellationToken stop = _stop.Token;
        Challenge? held = null;
        bool known = false;
        try
        {
            await Task.Delay(offset, stop);
            await Publish(node.Enrolment());
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    // As the agent's push loop: a challenge that expired while the node could not use it (a
                    // broker outage longer than the expiry) is not answered, a fresh one is asked for.
                    if (held is not null && DateTimeOffset.UtcNow >= held.ExpiresAt)
                    {
                        held = null;
                    }

                    if (held is null)
                    {
                        Response<Challenge, AttestationRefused> r = await Ask(node, () => _challenges.GetResponse<Challenge, AttestationRefused>(new RequestChallenge(node.TpmHash)));
                        if (!r.Is(out Response<Challenge>? c))
                        {
                            r.Is(out Response<AttestationRefused>? refused);
                            if (refused!.Message.ReasonCode != AttestationReasonCodes.NodeUnknown || known)
                            {
                                Problem($"{node.Hostname}: challenge refused: {refused.Message.ReasonCode} {refused.Message.Message}");
                            }

                            // Not enrolled yet (NodeEnrolled not consumed yet): publish it again.
                            await Task.Delay(500, stop);
                            await Publish(node.Enrolment());
                            continue;
                        }

                        known = true;
                        held = c!.Message;
                    }

                    AttestationResult result = (await Ask(node, () => _quotes.GetResponse<AttestationResult>(node.Quote(held, _boot, withLog: false)))).Message;
                    if (result.EventLogWanted && result.NextChallenge is { } again)
                    {
                        result = (await Ask(node, () => _quotes.GetResponse<AttestationResult>(node.Quote(again, _boot, withLog: true)))).Message;
                    }

                    if (result.Verdict == AttestationVerdicts.Pass)
                    {
                        _passes.GetOrAdd(node.TpmHash, _ => new ConcurrentQueue<DateTimeOffset>()).Enqueue(DateTimeOffset.UtcNow);
                    }
                    else
                    {
                        Problem($"{node.Hostname}: {result.Verdict} {string.Join(", ", result.Reasons.Select(x => $"{x.Code}: {x.Message}"))}");
                        if (result.Reasons.Length > 0 && result.Reasons.All(r => r.Code == AttestationReasonCodes.ChallengeExpired))
                        {
                            // The quote arrived after its challenge expired (it waited out an outage): nothing was
                            // recorded, so ask for a fresh challenge soon, not a period later, as the agent does.
                            held = null;
                            await Task.Delay(TimeSpan.FromSeconds(1), stop);
                            continue;
                        }
                    }

                    held = result.NextChallenge;
                    await Task.Delay(_period, stop);
                }
                catch (Exception e) when (e is RequestTimeoutException or RequestFaultException or MassTransitException && !stop.IsCancellationRequested)
                {
                    // Recorded by Ask; a fresh challenge next, after a pause as an agent would.
                    held = null;
                    await Task.Delay(_period, stop);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // stopped; a request in flight was waited for (GetResponse is not cancelled by stop)
        }
    }

    private async Task Publish(NodeEnrolled enrolment)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _bus.Publish(enrolment, timeout.Token);
        }
        catch (Exception e) when (e is MassTransitException or OperationCanceledException)
        {
            Problem($"{enrolment.Hostname}: NodeEnrolled not published: {e.GetType().Name}: {e.Message}");
        }
    }

    private async Task<T> Ask<T>(SimulatedNode node, Func<Task<T>> request)
    {
        Interlocked.Increment(ref _sent);
        DateTimeOffset sentAt = DateTimeOffset.UtcNow;
        try
        {
            T answer = await request();
            Interlocked.Increment(ref _answered);
            return answer;
        }
        catch (Exception e)
        {
            Problem($"{node.Hostname}: request sent {sentAt:HH:mm:ss.f} not answered: {e.GetType().Name}: {e.Message}");
            throw;
        }
    }

    private void Problem(string what) => Problems.Enqueue((DateTimeOffset.UtcNow, what));
}
