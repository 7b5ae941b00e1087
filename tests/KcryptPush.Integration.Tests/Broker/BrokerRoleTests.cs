using System.Text;
using KcryptPush.Messaging;
using RabbitMQ.Client;

namespace KcryptPush.Integration.Tests.Broker;

/// <summary>
/// The per-role broker users of <c>scripts/rabbitmq.sh users</c> on a private RabbitMQ with the real
/// topology names (the e2e attestation tests run the whole system as these users): what each role
/// must not do is refused by the broker with 403 ACCESS_REFUSED.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BrokerRoleTests : IClassFixture<RabbitMqFixture>, IAsyncLifetime
{
    private const string Contracts = "KcryptPush.Contracts.V1:";
    private readonly RabbitMqFixture _broker;
    private IReadOnlyDictionary<string, string> _roles = null!;

    public BrokerRoleTests(RabbitMqFixture broker)
    {
        _broker = broker;
    }

    public async Task InitializeAsync()
    {
        _roles = await _broker.CreateRoleUsersAsync();

        // The topology the services declare when they start, made here by the admin.
        await using IConnection admin = await new ConnectionFactory { Uri = new Uri(_broker.Uri) }.CreateConnectionAsync();
        await using IChannel ch = await admin.CreateChannelAsync();
        foreach (string queue in new[] { KcryptPushQueues.Registrar, KcryptPushQueues.VerifierAttestation, KcryptPushQueues.VerifierEnrolment, KcryptPushQueues.VerifierOperator })
        {
            await ch.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true);
            await ch.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
            await ch.QueueBindAsync(queue, queue, "");
        }

        foreach (string type in new[] { "NodeEnrolled", "NodeTrusted", "NodeQuarantined", "INodeVerdict", "SetSecret", "QuoteSubmitted" })
        {
            await ch.ExchangeDeclareAsync(Contracts + type, ExchangeType.Fanout, durable: true);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("NodeEnrolled")] // would enrol a node past the registrar's EK checks
    [InlineData("NodeTrusted")] // a forged verdict for alerting
    [InlineData("INodeVerdict")]
    [InlineData("SetSecret")] // an operator command
    public async Task An_agent_cannot_publish_what_only_services_and_operators_may(string type)
    {
        Assert.Equal(403, await ReplyCodeAsync("agent", ch => Publish(ch, Contracts + type)));
    }

    [Theory]
    [InlineData(KcryptPushQueues.VerifierOperator)]
    [InlineData(KcryptPushQueues.VerifierEnrolment)]
    public async Task An_agent_cannot_send_to_the_verifiers_other_queues(string exchange)
    {
        Assert.Equal(403, await ReplyCodeAsync("agent", ch => Publish(ch, exchange)));
    }

    [Theory]
    [InlineData("agent", KcryptPushQueues.VerifierAttestation)] // would steal other nodes' quotes
    [InlineData("agent", KcryptPushQueues.Registrar)]
    [InlineData("operator", KcryptPushQueues.VerifierOperator)]
    [InlineData("registrar", KcryptPushQueues.VerifierEnrolment)]
    public async Task A_role_cannot_consume_a_service_queue_that_is_not_its_own(string role, string queue)
    {
        Assert.Equal(403, await ReplyCodeAsync(role, ch => ch.BasicGetAsync(queue, autoAck: false)));
    }

    [Theory]
    [InlineData("agent", KcryptPushQueues.VerifierEnrolment)]
    [InlineData("operator", KcryptPushQueues.VerifierAttestation)]
    public async Task A_role_cannot_delete_a_queue_it_does_not_send_to(string role, string queue)
    {
        Assert.Equal(403, await ReplyCodeAsync(role, ch => ch.QueueDeleteAsync(queue)));
    }

    [Theory]
    [InlineData("registrar", "NodeTrusted")]
    [InlineData("operator", "NodeEnrolled")]
    [InlineData("operator", "INodeVerdict")]
    public async Task Only_the_verifier_publishes_verdicts_and_only_the_registrar_enrolments(string role, string type)
    {
        Assert.Equal(403, await ReplyCodeAsync(role, ch => Publish(ch, Contracts + type)));
    }

    [Theory]
    [InlineData("agent", KcryptPushQueues.VerifierAttestation)]
    [InlineData("agent", KcryptPushQueues.Registrar)]
    [InlineData("operator", KcryptPushQueues.VerifierOperator)]
    [InlineData("registrar", Contracts + "NodeEnrolled")]
    [InlineData("verifier", Contracts + "NodeTrusted")]
    public async Task Each_role_can_send_where_its_work_needs_it(string role, string exchange)
    {
        Assert.Null(await ReplyCodeAsync(role, ch => Publish(ch, exchange)));
    }

    [Fact]
    public async Task Each_role_can_declare_and_read_its_own_reply_queue()
    {
        foreach (string role in new[] { "registrar", "verifier", "agent", "operator" })
        {
            string queue = $"testhost_kcryptpush{role}_bus_{Guid.NewGuid():N}";
            Assert.Null(await ReplyCodeAsync(role, async ch =>
            {
                await ch.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true);
                await ch.BasicGetAsync(queue, autoAck: true);
            }));
        }
    }

    // MassTransit moves a message whose consumer failed to QUEUE_error (and an expired one to
    // QUEUE_skipped), declaring that exchange and queue at the first fault. Without the right the broker
    // closed the consumer's channel (403), the message came back and failed again, and each time the
    // verifier took it for a lost broker connection (FullStoreTests found it).
    [Theory]
    [InlineData("verifier", KcryptPushQueues.VerifierAttestation + "_error")]
    [InlineData("verifier", KcryptPushQueues.VerifierEnrolment + "_error")]
    [InlineData("verifier", KcryptPushQueues.VerifierOperator + "_skipped")]
    [InlineData("registrar", KcryptPushQueues.Registrar + "_error")]
    public async Task Each_service_can_move_a_faulted_message_to_its_own_error_queue(string role, string queue)
    {
        Assert.Null(await ReplyCodeAsync(role, async ch =>
        {
            await ch.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true);
            await ch.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
            await ch.QueueBindAsync(queue, queue, "");
            await Publish(ch, queue);
        }));
    }

    [Theory]
    [InlineData("agent", KcryptPushQueues.VerifierAttestation + "_error")]
    [InlineData("registrar", KcryptPushQueues.VerifierAttestation + "_error")]
    [InlineData("verifier", KcryptPushQueues.Registrar + "_error")]
    public async Task No_role_can_declare_another_services_error_queue(string role, string queue)
    {
        Assert.Equal(403, await ReplyCodeAsync(role, ch => ch.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false)));
    }

    [Fact]
    public async Task The_broker_refuses_a_message_over_its_max_message_size_before_any_service_reads_it()
    {
        // scripts/rabbitmq.sh sets max_message_size = 4 MiB: enough for a 1 MiB event log in a
        // QuoteSubmitted (base64 in JSON), far below RabbitMQ's 128 MiB default.
        Assert.Null(await ReplyCodeAsync("agent", ch => ch.BasicPublishAsync(KcryptPushQueues.VerifierAttestation, "", new byte[2 << 20]).AsTask()));
        Assert.Equal(406, await ReplyCodeAsync("agent", ch => ch.BasicPublishAsync(KcryptPushQueues.VerifierAttestation, "", new byte[(4 << 20) + 1]).AsTask()));
    }

    private static async Task Publish(IChannel ch, string exchange) =>
        await ch.BasicPublishAsync(exchange, "", Encoding.UTF8.GetBytes("{}"));

    /// <summary>Runs <paramref name="action"/> as <paramref name="role"/> on a channel with publisher
    /// confirms; returns the reply code the broker closed the channel with, or null when it did not.</summary>
    private async Task<int?> ReplyCodeAsync(string role, Func<IChannel, Task> action)
    {
        await using IConnection conn = await new ConnectionFactory { Uri = new Uri(_roles[role]) }.CreateConnectionAsync();
        await using IChannel ch = await conn.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        try
        {
            await action(ch);
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.OperationInterruptedException or RabbitMQ.Client.Exceptions.AlreadyClosedException
            or RabbitMQ.Client.Exceptions.PublishException)
        {
            // The broker closed the channel: the reply code says why.
        }

        // A refused basic.publish closes the channel asynchronously; give it a moment to arrive.
        for (int i = 0; i < 20 && ch.IsOpen; i++)
        {
            await Task.Delay(50);
        }

        return ch.CloseReason?.ReplyCode;
    }
}
