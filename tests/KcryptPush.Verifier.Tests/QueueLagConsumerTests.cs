using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Verdicts;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// The QuoteSubmitted consumer feeds <see cref="AttestationQueueLag"/> from the message's sent time,
/// for authenticated evidence only: a rejected message (unknown node, forged) does not move it.
/// </summary>
[Trait("Category", "Unit")]
public sealed class QueueLagConsumerTests : IDisposable
{
    private readonly PipelineHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task Authenticated_quotes_record_their_wait_and_rejected_ones_do_not()
    {
        // The verifier's clock reads 30 s past the sender's: every message looks 30 s old when consumed.
        var verifierTime = new ManualTime(DateTimeOffset.UtcNow.AddSeconds(30));
        var lag = new AttestationQueueLag(verifierTime);
        var services = new ServiceCollection();
        services.AddSingleton(_h.Pipeline).AddSingleton<VerdictOutbox>().AddSingleton(lag);
        services.AddMassTransitTestHarness(x => x.AddConsumer<QuoteSubmittedConsumer>());
        await using ServiceProvider provider = services.BuildServiceProvider(true);
        ITestHarness harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        try
        {
            IRequestClient<QuoteSubmitted> client = harness.GetRequestClient<QuoteSubmitted>();
            AttestationResult refused = (await client.GetResponse<AttestationResult>(_h.Quote(_h.Challenge(), tpmHash: new string('c', 64)))).Message;
            Assert.Contains(refused.Reasons, r => r.Code == AttestationReasonCodes.NodeUnknown);
            Assert.Equal(TimeSpan.Zero, lag.Current());

            AttestationResult passed = (await client.GetResponse<AttestationResult>(_h.Quote(_h.Challenge()))).Message;
            Assert.Equal(AttestationVerdicts.Pass, passed.Verdict);
            TimeSpan wait = lag.Current();
            Assert.InRange(wait, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30));
        }
        finally
        {
            await harness.Stop();
        }
    }
}
