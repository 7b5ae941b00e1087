using KcryptPush.Agent.Attestation;
using KcryptPush.Contracts.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace KcryptPush.Agent.Tests.Attestation;

/// <summary>The push loop against a scripted verifier and TPM: what it sends, when, and how it survives outages.</summary>
[Trait("Category", "Unit")]
public sealed class PushLoopTests : IDisposable
{
    private const string Hash = "0000000000000000000000000000000000000000000000000000000000000001";
    private readonly string _log = Path.GetTempFileName();
    private readonly NodeIdentity _node = new(Hash, [0, 11, 1, 2, 3], "n");

    public PushLoopTests() => File.WriteAllBytes(_log, [1, 2, 3, 4]);

    public void Dispose() => File.Delete(_log);

    [Fact]
    public async Task One_challenge_request_then_each_result_carries_the_next_and_the_log_goes_only_when_wanted()
    {
        var verifier = new ScriptedVerifier { WantLogOnce = true };
        using var cts = new CancellationTokenSource();
        PushLoop loop = Loop(verifier);
        int rounds = 0;
        loop.Attested += _ =>
        {
            if (++rounds == 5)
            {
                cts.Cancel();
            }
        };

        Assert.Equal(PushOutcome.Stopped, await loop.RunAsync(_node, cts.Token));
        Assert.Equal(1, verifier.ChallengeRequests);
        Assert.Equal(6, verifier.Quotes.Count); // 5 rounds, the first resent once with the log
        Assert.Null(verifier.Quotes[0].EventLog);
        Assert.Equal([1, 2, 3, 4], verifier.Quotes[1].EventLog);
        Assert.All(verifier.Quotes.Skip(2), q => Assert.Null(q.EventLog));
        Assert.NotEqual(verifier.Quotes[0].ChallengeId, verifier.Quotes[1].ChallengeId);
        Assert.All(verifier.Quotes, q => Assert.Null(q.WantedSecrets));
    }

    [Fact]
    public async Task Outages_are_retried_and_an_unanswered_quote_is_resent_unchanged()
    {
        var verifier = new ScriptedVerifier { FailFirstRequests = 2, FailFirstQuotes = 2 };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        PushLoop loop = Loop(verifier);
        loop.Attested += _ => cts.Cancel();
        await loop.RunAsync(_node, cts.Token);
        Assert.Equal(3, verifier.ChallengeRequests);
        Assert.Equal(3, verifier.Quotes.Count);
        Assert.All(verifier.Quotes, q => Assert.Same(verifier.Quotes[0], q));
    }

    [Fact]
    public async Task A_quote_that_reached_the_verifier_after_its_challenge_expired_is_followed_by_a_new_challenge_at_once_not_an_interval_later()
    {
        var verifier = new ScriptedVerifier { ExpireFirstQuotes = 1 };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        PushLoop loop = Loop(verifier, interval: TimeSpan.FromHours(1));
        loop.Attested += _ => cts.Cancel();
        await loop.RunAsync(_node, cts.Token);

        // The late answer recorded nothing: a fresh challenge and a quote over it, within the test's 20 s.
        Assert.Equal(2, verifier.ChallengeRequests);
        Assert.Equal(2, verifier.Quotes.Count);
        Assert.NotEqual(verifier.Quotes[0].ChallengeId, verifier.Quotes[1].ChallengeId);
    }

    [Fact]
    public async Task A_verifier_that_keeps_answering_challenge_expired_is_asked_with_backoff_not_in_a_busy_loop()
    {
        var verifier = new ScriptedVerifier { ExpireFirstQuotes = int.MaxValue };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await Loop(verifier, interval: TimeSpan.FromHours(1)).RunAsync(_node, cts.Token);

        // Backoff 5 ms doubling to 20 ms over 2 s: about a hundred rounds at the most, not thousands.
        Assert.InRange(verifier.Quotes.Count, 2, 400);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_broker_that_cannot_be_reached_is_tried_again_within_seconds_a_verifier_that_does_not_answer_with_the_long_backoff(bool brokerLost)
    {
        // Agent defaults: 1 s doubling to 60 s, 5 s while the broker is away; the pauses are recorded, not waited.
        var verifier = new ScriptedVerifier { FailFirstRequests = 10, BrokerLost = brokerLost };
        var time = new InstantTime();
        var settings = new PushSettings(TimeSpan.FromHours(1), _log, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        var loop = new PushLoop(new Attestor(new FakeTpm(), verifier, NullLogger<Attestor>.Instance, time), verifier, settings, NullLogger<PushLoop>.Instance, time);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        loop.Attested += _ => cts.Cancel();
        await loop.RunAsync(_node, cts.Token);

        TimeSpan[] pauses = [.. time.Delays.Take(10)];
        Assert.Equal(11, verifier.ChallengeRequests);
        if (brokerLost)
        {
            // Steps 1, 2, 4, 5, 5...: the node is back within 5 s of the broker, however long it was away.
            Assert.All(pauses, p => Assert.True(p <= PushSettings.DefaultBrokerRetryMaxDelay, $"paused {p.TotalSeconds:0.0}s with the broker away"));
            Assert.All(pauses.Skip(3), p => Assert.True(p >= PushSettings.DefaultBrokerRetryMaxDelay / 2, $"paused only {p.TotalSeconds:0.0}s"));
        }
        else
        {
            // No answer in time: the verifier (or broker) is overloaded, not away; the backoff grows to a minute.
            Assert.True(pauses[^1] >= TimeSpan.FromSeconds(30), $"the last pause was {pauses[^1].TotalSeconds:0.0}s");
        }
    }

    [Fact]
    public async Task A_terminated_node_stops_pushing()
    {
        var verifier = new ScriptedVerifier { TerminateAfter = 2 };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.Equal(PushOutcome.Terminated, await Loop(verifier).RunAsync(_node, cts.Token));
        Assert.Equal(2, verifier.Quotes.Count);
    }

    private PushLoop Loop(ScriptedVerifier verifier, TimeSpan? interval = null)
    {
        var settings = new PushSettings(interval ?? TimeSpan.FromMilliseconds(20), _log, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(20));
        var attestor = new Attestor(new FakeTpm(), verifier, NullLogger<Attestor>.Instance) { ResendMinDelay = TimeSpan.FromMilliseconds(5), ResendMaxDelay = TimeSpan.FromMilliseconds(20) };
        return new PushLoop(attestor, verifier, settings, NullLogger<PushLoop>.Instance);
    }

    private sealed class FakeTpm : IEvidenceTpm
    {
        public QuoteEvidence Quote(Challenge challenge, byte[] eventLogSha256, bool releaseKey) =>
            new(challenge.Nonce, [9], [new PcrBankValues("sha256", new Dictionary<int, byte[]> { [0] = new byte[32] })]);

        public byte[] OpenSecret(string tpmHash, SealedSecret secret, QuoteEvidence evidence) => throw new NotSupportedException();
    }

    /// <summary>Real clock, but every timer fires at once: the delays asked for are recorded instead of waited.</summary>
    private sealed class InstantTime : TimeProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<TimeSpan> _delays = new();

        public IReadOnlyList<TimeSpan> Delays => [.. _delays];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _delays.Enqueue(dueTime);
            ThreadPool.QueueUserWorkItem(_ => callback(state));
            return new Fired();
        }

        private sealed class Fired : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => false;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    private sealed class ScriptedVerifier : IVerifierClient
    {
        public bool WantLogOnce { get; init; }

        public int FailFirstRequests { get; init; }

        public bool BrokerLost { get; init; }

        public int FailFirstQuotes { get; init; }

        public int TerminateAfter { get; init; } = int.MaxValue;

        public int ExpireFirstQuotes { get; init; }

        public int ChallengeRequests { get; private set; }

        public List<QuoteSubmitted> Quotes { get; } = [];

        public Task<ChallengeReply> RequestChallengeAsync(string tpmHash, CancellationToken cancellationToken)
        {
            if (++ChallengeRequests <= FailFirstRequests)
            {
                throw new VerifierUnavailableException("broker away") { BrokerLost = BrokerLost };
            }

            return Task.FromResult(new ChallengeReply(New(), null));
        }

        public Task<AttestationResult> SubmitAsync(QuoteSubmitted quote, CancellationToken cancellationToken)
        {
            Quotes.Add(quote);
            if (Quotes.Count <= FailFirstQuotes)
            {
                throw new VerifierUnavailableException("no answer in time");
            }

            if (Quotes.Count <= ExpireFirstQuotes)
            {
                return Task.FromResult(new AttestationResult(quote.ChallengeId, quote.TpmHash, AttestationVerdicts.Fail,
                    [new AttestationReason(AttestationReasonCodes.ChallengeExpired, "expired")], null, false, null, null));
            }

            bool wanted = WantLogOnce && quote.EventLog is null && !Quotes.Any(q => q.EventLog is not null);
            string verdict = Quotes.Count >= TerminateAfter ? AttestationVerdicts.Terminated : wanted ? AttestationVerdicts.Retry : AttestationVerdicts.Pass;
            return Task.FromResult(new AttestationResult(quote.ChallengeId, quote.TpmHash, verdict, [], verdict == AttestationVerdicts.Terminated ? null : New(), wanted, null, null));
        }

        private static Challenge New() => new(Guid.NewGuid(), Hash, Guid.NewGuid().ToByteArray(), [new PcrBankSelection("sha256", [0])], DateTimeOffset.UtcNow.AddMinutes(1));
    }
}
