using System.Collections.Concurrent;
using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Bench.Load;

/// <summary>
/// One enrolled node that floods the verifier while the others attest (<c>--flood</c>):
/// <list type="bullet">
/// <item><c>inFlight</c> loops send QuoteSubmitted carrying a <see cref="FloodLog"/> (the largest log
/// the verifier accepts, a new digest each time), each signed over a challenge when it holds an
/// unused one (a pass hands back the next), else over the last challenge it saw (refused as
/// challenge-reused after the verifier read the message), back to back;</item>
/// <item><c>inFlight</c> loops send RequestChallenge back to back (the verifier's per-node limits
/// refuse most); a granted challenge feeds the quote loops.</item>
/// </list>
/// As fast as the verifier answers, bounded by <c>inFlight</c> messages of each kind in flight.
/// </summary>
internal sealed class NoisyNeighbour(
    SimulatedNode node, BootState boot, FloodLog log, IRequestClient<RequestChallenge> challenges, IRequestClient<QuoteSubmitted> quotes, int inFlight)
{
    private readonly ConcurrentQueue<Challenge> _fresh = new();
    private readonly ConcurrentDictionary<string, long> _outcomes = new(StringComparer.Ordinal);
    private Challenge? _last;
    private long _quotes, _quoteBytes, _requests, _granted, _timeouts, _faults;

    public SimulatedNode Node => node;

    /// <summary>Floods until <paramref name="stop"/>, starting from the challenge its first attestation got.</summary>
    public Task RunAsync(Challenge? first, CancellationToken stop)
    {
        if (first is not null)
        {
            _fresh.Enqueue(first);
            _last = first;
        }

        return Task.WhenAll(
            Enumerable.Range(0, inFlight).Select(_ => Task.Run(() => QuoteLoopAsync(stop)))
                .Concat(Enumerable.Range(0, inFlight).Select(_ => Task.Run(() => ChallengeLoopAsync(stop)))));
    }

    /// <summary>Counts so far (subtract an earlier snapshot for a phase).</summary>
    public FloodCounts Snapshot() => new(
        Interlocked.Read(ref _quotes), Interlocked.Read(ref _quoteBytes), Interlocked.Read(ref _requests), Interlocked.Read(ref _granted),
        Interlocked.Read(ref _timeouts), Interlocked.Read(ref _faults), new SortedDictionary<string, long>(_outcomes, StringComparer.Ordinal));

    private async Task QuoteLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Challenge? c = _fresh.TryDequeue(out Challenge? fresh) ? fresh : Volatile.Read(ref _last);
            if (c is null)
            {
                await Delay(stop);
                continue;
            }

            try
            {
                (byte[] bytes, byte[] sha256) = log.Next();
                QuoteSubmitted m = node.Quote(c, boot, bytes, sha256, withLog: true);
                Interlocked.Increment(ref _quotes);
                Interlocked.Add(ref _quoteBytes, bytes.Length);
                AttestationResult r = (await quotes.GetResponse<AttestationResult>(m, stop)).Message;
                string outcome = r.Reasons is { Length: > 0 } reasons ? $"quote {r.Verdict}: {reasons[0].Code}" : $"quote {r.Verdict}";
                _outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                if (r.NextChallenge is { } next)
                {
                    _fresh.Enqueue(next);
                    Volatile.Write(ref _last, next);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (RequestTimeoutException)
            {
                Interlocked.Increment(ref _timeouts);
            }
            catch (RequestFaultException)
            {
                Interlocked.Increment(ref _faults);
            }
        }
    }

    private async Task ChallengeLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                Interlocked.Increment(ref _requests);
                Response<Challenge, AttestationRefused> r = await challenges.GetResponse<Challenge, AttestationRefused>(new RequestChallenge(node.TpmHash), stop);
                if (r.Is(out Response<Challenge>? granted))
                {
                    Interlocked.Increment(ref _granted);
                    _fresh.Enqueue(granted!.Message);
                    Volatile.Write(ref _last, granted.Message);
                }
                else if (r.Is(out Response<AttestationRefused>? refused))
                {
                    _outcomes.AddOrUpdate($"challenge refused: {refused!.Message.ReasonCode}", 1, (_, n) => n + 1);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (RequestTimeoutException)
            {
                Interlocked.Increment(ref _timeouts);
            }
            catch (RequestFaultException)
            {
                Interlocked.Increment(ref _faults);
            }
        }
    }

    private static async Task Delay(CancellationToken stop)
    {
        try
        {
            await Task.Delay(10, stop);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}

/// <summary>What the noisy neighbour sent and got back.</summary>
internal sealed record FloodCounts(
    long Quotes, long QuoteBytes, long ChallengeRequests, long ChallengesGranted, long Timeouts, long Faults, SortedDictionary<string, long> Outcomes)
{
    public FloodCounts Minus(FloodCounts before) => new(
        Quotes - before.Quotes, QuoteBytes - before.QuoteBytes, ChallengeRequests - before.ChallengeRequests,
        ChallengesGranted - before.ChallengesGranted, Timeouts - before.Timeouts, Faults - before.Faults,
        new SortedDictionary<string, long>(
            Outcomes.Select(o => KeyValuePair.Create(o.Key, o.Value - before.Outcomes.GetValueOrDefault(o.Key))).Where(o => o.Value != 0)
                .ToDictionary(), StringComparer.Ordinal));
}
