using System.Collections.Concurrent;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Store;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KcryptPush.Registrar.Tests.Support;

/// <summary>
/// The agent's side of the bus, in software: request clients for the registrar queue, and a probe
/// bound to NodeEnrolled like the verifier's endpoint.
/// </summary>
internal sealed class TestAgentBus : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly IBusControl _bus;

    private TestAgentBus(ServiceProvider services)
    {
        _services = services;
        _bus = services.GetRequiredService<IBusControl>();
    }

    public IRequestClient<RegisterNode> Register => _services.GetRequiredService<IRequestClient<RegisterNode>>();

    public IRequestClient<CredentialProof> Prove => _services.GetRequiredService<IRequestClient<CredentialProof>>();

    public EnrolledProbe Enrolled => _services.GetRequiredService<EnrolledProbe>();

    public IVerifierStore VerifierStore => _services.GetRequiredService<IVerifierStore>();

    public static async Task<TestAgentBus> StartAsync(string brokerUri, string probeQueue, string? verifierDb = null, TimeSpan? requestTimeout = null)
    {
        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Broker:Uri"] = brokerUri,
            ["Broker:RequestTimeout"] = (requestTimeout ?? TimeSpan.FromSeconds(20)).ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<EnrolledProbe>();
        if (verifierDb is not null)
        {
            services.AddVerifierStore(VerifierStores.LiteDbPrefix + verifierDb);
        }

        services.AddKcryptPushBus(config, x =>
        {
            if (verifierDb is not null)
            {
                x.AddVerifierEnrolment();
            }

            RequestTimeout timeout = RequestTimeout.After(ms: (int)(requestTimeout ?? TimeSpan.FromSeconds(20)).TotalMilliseconds);
            x.AddRequestClient<RegisterNode>(KcryptPushQueues.RegistrarAddress, timeout);
            x.AddRequestClient<CredentialProof>(KcryptPushQueues.RegistrarAddress, timeout);
            x.AddConsumer<EnrolledProbeConsumer>().Endpoint(e => e.Name = probeQueue);
        });
        ServiceProvider provider = services.BuildServiceProvider();
        var agent = new TestAgentBus(provider);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await agent._bus.StartAsync(cts.Token).ConfigureAwait(false);
        return agent;
    }

    public async ValueTask DisposeAsync()
    {
        await _bus.StopAsync().ConfigureAwait(false);
        await _services.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Collects NodeEnrolled events.</summary>
    internal sealed class EnrolledProbe
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource<NodeEnrolled>> _seen = new();

        public void Add(NodeEnrolled e) => Source(e.TpmHash).TrySetResult(e);

        public Task<NodeEnrolled> WaitFor(string tpmHash) => Source(tpmHash).Task.WaitAsync(TimeSpan.FromSeconds(30));

        private TaskCompletionSource<NodeEnrolled> Source(string hash) =>
            _seen.GetOrAdd(hash, _ => new TaskCompletionSource<NodeEnrolled>(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    internal sealed class EnrolledProbeConsumer(EnrolledProbe probe) : IConsumer<NodeEnrolled>
    {
        public Task Consume(ConsumeContext<NodeEnrolled> context)
        {
            probe.Add(context.Message);
            return Task.CompletedTask;
        }
    }
}
