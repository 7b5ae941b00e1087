using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Verifier.Operator;
using RabbitMQ.Client;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary>
/// Operator identity over a real broker with the per-role users (<c>scripts/rabbitmq.sh users</c>): the
/// CLI sends its broker user as the AMQP user_id (which RabbitMQ validates against the connection's
/// user), the verifier audits that user, and <c>--operator</c> is only a comment beside it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class OperatorIdentityBusTests : IClassFixture<RabbitMqFixture>, IAsyncLifetime
{
    private readonly RabbitMqFixture _broker;
    private readonly string _dir = Directory.CreateTempSubdirectory("kcrypt-operator-identity-").FullName;
    private IReadOnlyDictionary<string, string> _roles = null!;
    private AlertBus? _admin;
    private VerifierProcess? _verifier;

    public OperatorIdentityBusTests(RabbitMqFixture broker)
    {
        _broker = broker;
    }

    public async Task InitializeAsync()
    {
        _roles = await _broker.CreateRoleUsersAsync();
        _verifier = VerifierProcess.Run("--broker", _roles["verifier"], "--db", Path.Combine(_dir, "verifier.db"), "--interval", "60s");
        _admin = await AlertBus.StartAsync(_broker.Uri, "kcp-test-identity-alerts");
    }

    public async Task DisposeAsync()
    {
        _verifier?.Dispose();
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task The_audit_actor_is_the_broker_user_and_operator_text_cannot_impersonate()
    {
        string hash = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var enrolled = new NodeEnrolled(hash, RandomNumberGenerator.GetBytes(64), RandomNumberGenerator.GetBytes(80),
            [0x00, 0x0b, .. RandomNumberGenerator.GetBytes(32)], "node-identity", DateTimeOffset.UtcNow);
        await WaitForNode(enrolled);

        // --operator claims to be the admin: it is recorded only as a comment beside the real user.
        (int code, _, string stderr) = await Nodes(null, "quarantine", hash, "--reason", "check", "--operator", "broker:kcrypt-admin");
        Assert.True(code == 0, stderr);

        (int showCode, string show, string showErr) = await Nodes(null, "show", hash, "--json");
        Assert.True(showCode == 0, showErr);
        string[] actors = JsonDocument.Parse(show).RootElement.GetProperty("audit").EnumerateArray()
            .Select(a => a.GetProperty("actor").GetString()!).Where(a => a != "registrar").ToArray();
        Assert.NotEmpty(actors);
        Assert.All(actors, a => Assert.Equal("broker:kcrypt-operator (--operator broker:kcrypt-admin)", a));
    }

    [Fact]
    public async Task A_forged_user_id_is_refused_by_the_broker()
    {
        // The exchange the verifier declares when it starts (as MassTransit does: fanout, durable).
        await using (IConnection a = await new ConnectionFactory { Uri = new Uri(_broker.Uri) }.CreateConnectionAsync())
        await using (IChannel ach = await a.CreateChannelAsync())
        {
            await ach.ExchangeDeclareAsync(KcryptPushQueues.VerifierOperator, ExchangeType.Fanout, durable: true);
        }

        await using IConnection c = await new ConnectionFactory { Uri = new Uri(_roles["operator"]) }.CreateConnectionAsync();
        await using IChannel ch = await c.CreateChannelAsync();
        var props = new BasicProperties { UserId = "kcrypt-admin" };
        try
        {
            await ch.BasicPublishAsync(KcryptPushQueues.VerifierOperator, "", mandatory: false, props, Encoding.UTF8.GetBytes("{}"));
            for (int i = 0; i < 50 && ch.IsOpen; i++)
            {
                await Task.Delay(100);
            }
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.OperationInterruptedException or RabbitMQ.Client.Exceptions.AlreadyClosedException)
        {
            // The broker closed the channel.
        }

        Assert.False(ch.IsOpen);
        Assert.Equal((ushort)406, ch.CloseReason?.ReplyCode ?? 0);
        Assert.Contains("PRECONDITION_FAILED", ch.CloseReason?.ReplyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_without_a_validated_user_id_is_refused()
    {
        // The in-memory transport carries no AMQP user_id: with the verifier's own resolver, refused.
        await using OperatorHarness h = await OperatorHarness.StartAsync(OperatorActor.RabbitMqUser);
        string hash = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        OperatorCommandResult r = await h.Command(new QuarantineNode(hash, "check", "alice"));
        Assert.False(r.Succeeded);
        Assert.Equal(OperatorActor.Unauthenticated, r.Message);
        Assert.Empty(h.Store.Audit(hash));
    }

    private Task<(int Code, string Stdout, string Stderr)> Nodes(string? stdin, params string[] args) =>
        VerifierProcess.Command(stdin, ["nodes", .. args, "--broker", _roles["operator"]]);

    private async Task WaitForNode(NodeEnrolled enrolled)
    {
        DateTime until = DateTime.UtcNow.AddSeconds(60);
        string last = "";
        while (DateTime.UtcNow < until)
        {
            await _admin!.Bus.Publish(enrolled);
            (int code, string stdout, string stderr) = await Nodes(null, "list", "--json", "--timeout", "3s");
            if (code == 0 && JsonDocument.Parse(stdout).RootElement.EnumerateArray().Any(n => n.GetProperty("tpmHash").GetString() == enrolled.TpmHash))
            {
                return;
            }

            last = stderr + stdout;
            await Task.Delay(500);
        }

        throw new TimeoutException($"the verifier never listed {enrolled.TpmHash}: {last}\n{_verifier!.Output}");
    }
}
