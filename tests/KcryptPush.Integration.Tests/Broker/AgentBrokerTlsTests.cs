using KcryptPush.Agent.Attestation;
using KcryptPush.Agent.Bus;
using KcryptPush.Contracts.V1;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Messaging;
using Microsoft.Extensions.Logging;

namespace KcryptPush.Integration.Tests.Broker;

/// <summary>
/// The agent's own broker client (agent/Bus) over <c>amqps://</c> as BrokerTls configures it, against
/// the private TLS broker of <see cref="TlsBrokerFixture"/>: with Broker:CaFile a request crosses TLS to
/// the real (MassTransit) verifier and its answer comes back; without the CA, or under a name the
/// certificate does not carry, the connection is refused with the reason logged and in the error.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AgentBrokerTlsTests(TlsBrokerFixture broker) : IClassFixture<TlsBrokerFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-agent-tls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_request_crosses_amqps_to_the_verifier_and_its_answer_comes_back_when_the_CA_is_trusted()
    {
        var env = new Dictionary<string, string?> { ["KCRYPTPUSH_Broker__CaFile"] = broker.CaFile };
        using ServiceProcess verifier = ServiceProcess.Start(KcryptPushBinaries.Verifier, env,
            "run", "--broker", broker.AmqpsUri, "--db", Path.Combine(_dir, "verifier.db"), "--interval", "60s", "--http", "off");
        await broker.WaitForConsumerAsync(KcryptPushQueues.VerifierAttestation, TimeSpan.FromSeconds(60), verifier);

        var logs = new Lines();
        var options = new BrokerOptions { Uri = broker.AmqpsUri, CaFile = broker.CaFile, RequestTimeout = TimeSpan.FromSeconds(30) };
        using BrokerTls tls = BrokerTls.Load(options);
        await using var client = new AmqpRequestClient(options, tls, logs.Logger<AmqpRequestClient>(), TimeProvider.System);

        ChallengeReply reply = await new BusVerifierClient(client).RequestChallengeAsync(new string('a', 64), CancellationToken.None);

        Assert.True(reply.Refused?.ReasonCode == AttestationReasonCodes.NodeUnknown, $"{reply}\n{verifier.Output}");
        Assert.DoesNotContain(logs.All, l => l.Contains("refusing the certificate", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false, "does not chain to a root this system trusts")]
    [InlineData(true, "does not name the host of Broker:Uri")]
    public async Task A_broker_certificate_that_is_not_trusted_is_refused_with_the_reason(bool byAddress, string reason)
    {
        // Without the CA the private CA is not trusted; by address the certificate (DNS:localhost) does not name the host.
        string uri = byAddress ? broker.AmqpsUri.Replace("@localhost:", "@127.0.0.1:", StringComparison.Ordinal) : broker.AmqpsUri;
        var options = new BrokerOptions { Uri = uri, CaFile = byAddress ? broker.CaFile : null, RequestTimeout = TimeSpan.FromSeconds(15) };
        using BrokerTls tls = BrokerTls.Load(options);
        var logs = new Lines();
        await using var client = new AmqpRequestClient(options, tls, logs.Logger<AmqpRequestClient>(), TimeProvider.System);

        BusRequestException e = await Assert.ThrowsAnyAsync<BusRequestException>(() => client.ConnectAsync(CancellationToken.None));

        Assert.Contains("TLS", e.Message, StringComparison.Ordinal);
        Assert.IsNotType<BrokerLostException>(e); // refused, not away: the long backoff

        Assert.Contains(logs.All, l => l.Contains("refusing the certificate", StringComparison.Ordinal) && l.Contains(reason, StringComparison.Ordinal));
        Assert.Null(client.ReplyQueue);
    }

    /// <summary>Every formatted log line, for assertions.</summary>
    private sealed class Lines : ILoggerProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> All => _lines;

        public ILogger<T> Logger<T>() => new LoggerFactory([this]).CreateLogger<T>();

        public ILogger CreateLogger(string categoryName) => new Sink(_lines);

        public void Dispose()
        {
        }

        private sealed class Sink(System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception));
        }
    }
}
