using System.Net;
using System.Net.Sockets;
using KcryptPush.Agent.Attestation;
using KcryptPush.Agent.Bus;
using KcryptPush.Messaging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KcryptPush.Integration.Tests.Broker;

/// <summary>
/// The agent tells a broker that is away (nothing listening: the push loop tries again within seconds) from one
/// that refused it (which waits the long backoff; <see cref="AgentBrokerTlsTests"/> has a TLS refusal).
/// </summary>
[Trait("Category", "Integration")]
public sealed class AgentBrokerLostTests
{
    [Fact]
    public async Task A_broker_nobody_listens_for_is_lost_not_refused_and_the_verifier_client_says_so()
    {
        int port = FreePort();
        var options = new BrokerOptions { Uri = $"amqp://u:p@127.0.0.1:{port}/", RequestTimeout = TimeSpan.FromSeconds(10) };
        using BrokerTls tls = BrokerTls.Load(options);
        await using var client = new AmqpRequestClient(options, tls, NullLogger<AmqpRequestClient>.Instance, TimeProvider.System);

        BrokerLostException lost = await Assert.ThrowsAsync<BrokerLostException>(() => client.ConnectAsync(CancellationToken.None));
        Assert.Contains("cannot reach the broker", lost.Message, StringComparison.Ordinal);

        VerifierUnavailableException e = await Assert.ThrowsAsync<VerifierUnavailableException>(
            () => new BusVerifierClient(client).RequestChallengeAsync(new string('a', 64), CancellationToken.None));
        Assert.True(e.BrokerLost, e.Message);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
