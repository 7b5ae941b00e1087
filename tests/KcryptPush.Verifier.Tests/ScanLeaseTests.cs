using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Store;
using KcryptPush.Verifier.Verdicts;
using KcryptPush.Tests;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// Several verifiers on one PostgreSQL store: the lease holder's outbox finds the verdict event an
/// instance committed and never published (it was killed between the two) and publishes it with its
/// id, without any instance restarting; an instance that does not hold the lease leaves it alone.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ScanLeaseTests(PrivatePostgres pg) : IClassFixture<PrivatePostgres>
{
    private static readonly DateTime Now = DateTime.UtcNow;

    [PostgresFact]
    public async Task The_lease_holder_publishes_a_verdict_a_killed_instance_staged_and_a_non_holder_does_not()
    {
        string db = pg.CreateDatabase();
        string hash = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        using var holderStore = new PostgresVerifierStore(db, new VerifierStoreOptions());
        using var otherStore = new PostgresVerifierStore(db, new VerifierStoreOptions());
        var holderLease = new ScanLease(holderStore, TimeProvider.System);
        var otherLease = new ScanLease(otherStore, TimeProvider.System);
        Assert.True(holderLease.TryHold(TimeSpan.FromMinutes(5)));
        Assert.False(otherLease.TryHold(TimeSpan.FromMinutes(5)));

        // Both running before the event exists, so their start-up scans find nothing: only the
        // periodic look can find it.
        await using Outbox other = await Outbox.StartAsync(otherStore, otherLease);
        await using Outbox holder = await Outbox.StartAsync(holderStore, holderLease);

        // The killed instance: its unit committed the state change with its verdict event, then it died.
        Guid staged;
        using (var killed = new PostgresVerifierStore(db, new VerifierStoreOptions()))
        {
            using IVerifierUnit unit = killed.BeginNode(hash);
            NodeAttestation rec = unit.GetOrNewAttestation(Now);
            rec.State = NodeStates.Trusted;
            staged = VerdictOutbox.Stage(rec, new NodeTrusted(hash, "node-1", NodeStates.Pending, Now), Now).Id;
            unit.Save(rec);
            unit.Commit();
        }

        // Polled with a deadline of our own: the harness's SelectAsync gives up after its inactivity
        // timeout (about a second), shorter than a periodic look plus a PostgreSQL round trip takes on
        // a loaded machine (it failed 1 run in 4 here at load 10-20).
        IPublishedMessage<NodeTrusted>? published = null;
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while ((published = holder.Harness.Published.Select<NodeTrusted>().FirstOrDefault()) is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.NotNull(published);
        Assert.Equal(staged, published!.Context.MessageId);
        Assert.Equal(hash, published.Context.Message.TpmHash);
        DateTime until = DateTime.UtcNow.AddSeconds(20);
        while (holderStore.FindAttestation(hash)!.PendingVerdicts.Count > 0 && DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }

        Assert.Empty(holderStore.FindAttestation(hash)!.PendingVerdicts);

        // The instance without the lease looked at its period too (500 ms), and left it to the holder.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        bool otherPublished;
        try
        {
            using var shortly = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            otherPublished = await other.Harness.Published.Any<NodeTrusted>(shortly.Token);
        }
        catch (OperationCanceledException)
        {
            otherPublished = false;
        }

        Assert.False(otherPublished, "an instance without the lease published another's verdict");
    }

    private sealed class Outbox : IAsyncDisposable
    {
        private readonly ServiceProvider _services;
        private readonly VerdictOutboxService _service;

        private Outbox(ServiceProvider services, VerdictOutboxService service)
        {
            _services = services;
            _service = service;
            Harness = services.GetRequiredService<ITestHarness>();
        }

        public ITestHarness Harness { get; }

        public static async Task<Outbox> StartAsync(IVerifierStore store, ScanLease lease)
        {
            var services = new ServiceCollection().AddMassTransitTestHarness().BuildServiceProvider(true);
            ITestHarness harness = services.GetRequiredService<ITestHarness>();
            await harness.Start();
            var service = new VerdictOutboxService(new VerdictOutbox(), store, harness.Bus, NullLogger<VerdictOutboxService>.Instance, lease)
            {
                RescanPeriod = TimeSpan.FromMilliseconds(500),
            };
            await service.StartAsync(CancellationToken.None);
            return new Outbox(services, service);
        }

        public async ValueTask DisposeAsync()
        {
            await _service.StopAsync(CancellationToken.None);
            _service.Dispose();
            await _services.DisposeAsync();
        }
    }
}
