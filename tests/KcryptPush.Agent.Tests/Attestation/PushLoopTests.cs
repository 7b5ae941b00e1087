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

    private sealed class ScriptedVerifier : IVerifierClient
    {
        public bool WantLogOnce { get; init; }

        public int FailFirstRequests { get; init; }

        public int FailFirstQuotes { get; init; }

        public int TerminateAfter { get; init; } = int.MaxValue;

        public int ExpireFirstQuotes { get; init; }

        public int ChallengeRequests { get; private set; }

        public List<QuoteSubmitted> Quotes { get; } = [];

        public Task<ChallengeReply> RequestChallengeAsync(string tpmHash, CancellationToken cancellationToken)
        {
            if (++ChallengeRequests <= FailFirstRequests)
            {
                throw new VerifierUnavailableException("broker away");
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
