using System.Security.Cryptography;
using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Operator;
using KcryptPush.Verifier.Store;
using KcryptPush.Verifier.Verdicts;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary>
/// The operator consumers on MassTransit's in-memory test harness over a real verifier.db (LiteDB)
/// and a real secret transport key in a temporary directory; requests go to the operator queue's
/// address as the command line sends them.
/// </summary>
internal sealed class OperatorHarness : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcrypt-operator-tests-").FullName;
    private readonly ServiceProvider _services;

    private OperatorHarness(BrokerUserOf? brokerUserOf)
    {
        Time = new ManualTime(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        DbPath = Path.Combine(_dir, "verifier.db");
        Key = SecretTransportKey.LoadOrCreate(SecretTransportKey.PathBeside(DbPath));
        SecretKey = SecretAtRestKey.DeriveFrom(Key.Key);
        Store = new LiteDbVerifierStore(DbPath, new VerifierStoreOptions { SecretKey = SecretKey });
        Nodes = new TestNodes(Store);
        Operations = new NodeOperations(Store, Key, Time);
        var services = new ServiceCollection();
        services.AddSingleton(Store).AddSingleton(Key).AddSingleton(Operations);
        services.AddSingleton<VerdictOutbox>().AddSingleton<VerdictOutboxService>();
        // The in-memory transport has no AMQP user_id: requests here come from BrokerUser.
        services.AddSingleton(brokerUserOf ?? (_ => BrokerUser));
        services.AddMassTransitTestHarness(x => x.AddVerifierOperatorConsumers());
        _services = services.BuildServiceProvider(true);
        Harness = _services.GetRequiredService<ITestHarness>();
        Outbox = _services.GetRequiredService<VerdictOutboxService>();
    }

    /// <summary>The broker user the in-memory requests are taken to come from.</summary>
    public const string BrokerUser = "kcrypt-operator";

    public ManualTime Time { get; }

    public string DbPath { get; }

    public TestNodes Nodes { get; }

    public IVerifierStore Store { get; }

    public SecretTransportKey Key { get; }

    public SecretAtRestKey SecretKey { get; }

    public NodeOperations Operations { get; }

    public ITestHarness Harness { get; }

    /// <summary>Publishes the verdicts the consumers stage, as in the verifier.</summary>
    public VerdictOutboxService Outbox { get; }

    public DateTime Now => Time.GetUtcNow().UtcDateTime;

    public static async Task<OperatorHarness> StartAsync(BrokerUserOf? brokerUserOf = null)
    {
        var h = new OperatorHarness(brokerUserOf);
        await h.Harness.Start();
        await h.Outbox.StartAsync(CancellationToken.None);
        return h;
    }

    /// <summary>A random TPM hash.</summary>
    public static string NewHash() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>Enrols a node as the registrar's NodeEnrolled would; returns its TPM hash.</summary>
    public string Enrol(string? hostname = null, string? tpmHash = null)
    {
        string hash = tpmHash ?? NewHash();
        Nodes.Apply(new NodeEnrolled(hash, RandomNumberGenerator.GetBytes(64), RandomNumberGenerator.GetBytes(80), [0x00, 0x0b, .. RandomNumberGenerator.GetBytes(32)],
            hostname ?? "node-" + hash[..6], Time.GetUtcNow()), Now);
        return hash;
    }

    /// <summary>Sends <paramref name="request"/> to the operator queue and waits for <typeparamref name="T"/>.</summary>
    public async Task<T> Ask<TRequest, T>(TRequest request)
        where TRequest : class where T : class
    {
        IRequestClient<TRequest> client = Harness.Bus.CreateRequestClient<TRequest>(VerifierOperatorRegistration.Address, RequestTimeout.After(s: 10));
        return (await client.GetResponse<T>(request)).Message;
    }

    public Task<OperatorCommandResult> Command<TRequest>(TRequest request)
        where TRequest : class => Ask<TRequest, OperatorCommandResult>(request);

    /// <summary>ShowNode: the details, or the result when the verifier answered with one.</summary>
    public async Task<(NodeDetails? Details, OperatorCommandResult? Result)> Show(string tpmHash)
    {
        IRequestClient<ShowNode> client = Harness.Bus.CreateRequestClient<ShowNode>(VerifierOperatorRegistration.Address, RequestTimeout.After(s: 10));
        Response<NodeDetails, OperatorCommandResult> r = await client.GetResponse<NodeDetails, OperatorCommandResult>(new ShowNode(tpmHash));
        return r.Is(out Response<NodeDetails>? d) ? (d!.Message, null) : r.Is(out Response<OperatorCommandResult>? c) ? (null, c!.Message) : (null, null);
    }

    public async ValueTask DisposeAsync()
    {
        await Outbox.StopAsync(CancellationToken.None);
        await Harness.Stop();
        await _services.DisposeAsync();
        Store.Dispose();
        Key.Dispose();
        SecretKey.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
