using System.Text;
using System.Text.Json;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using KcryptPush.Registrar.Cli;
using KcryptPush.Registrar.Hosting;
using KcryptPush.Registrar.Store;
using KcryptPush.Registrar.Tests.Support;
using KcryptPush.Verifier.Enrolment;
using MassTransit;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;

namespace KcryptPush.Registrar.Tests.Integration;

/// <summary>
/// The registrar service against a real RabbitMQ (scripts/rabbitmq.sh), with the agent side
/// simulated in software (EK and activation in .NET, no TPM).
/// </summary>
[Trait("Category", "Integration")]
public sealed class BusEnrolmentTests(RabbitMqFixture broker) : IClassFixture<RabbitMqFixture>, IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-bus-").FullName;
    private readonly TestPki _pki = TestPki.Create();
    private IHost? _registrar;

    private string Db => Path.Combine(_dir, "registrar.db");

    public async Task InitializeAsync()
    {
        _pki.WriteCaDirectory(Path.Combine(_dir, "ek-ca"));
        _registrar = RegistrarHost.Build(
            new Dictionary<string, string?>
            {
                ["Broker:Uri"] = broker.Uri,
                ["Http:Listen"] = "127.0.0.1:0", // test classes run in parallel: no fixed port
                ["Broker:RetryLimit"] = "2",
                ["Broker:RetryMinInterval"] = "00:00:00.100",
                ["Registrar:Db"] = Db,
                ["Registrar:EkCaDir"] = Path.Combine(_dir, "ek-ca"),
            },
            environment: new Dictionary<string, string?>());
        await _registrar.StartAsync().ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        if (_registrar is not null)
        {
            await _registrar.StopAsync().ConfigureAwait(false);
            _registrar.Dispose();
        }

        _pki.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_node_enrols_over_the_bus_and_NodeEnrolled_reaches_the_verifier_queue()
    {
        await using TestAgentBus agent = await TestAgentBus.StartAsync(
            broker.Uri, "kcrypt-push-test-verifier-" + Guid.NewGuid().ToString("N")[..8], verifierDb: Path.Combine(_dir, "verifier.db"));
        using SoftwareTpm tpm = SoftwareTpm.CreateRsa();

        var register = new RegisterNode(tpm.TpmHash, tpm.Ek.ToArray(), _pki.IssueEkCertificate(tpm.EkPublicKey), tpm.Ak.ToArray(), "node-a", Guid.NewGuid());
        Response<CredentialChallenge, EnrolmentRejected> first = await agent.Register.GetResponse<CredentialChallenge, EnrolmentRejected>(register);
        Assert.True(first.Is(out Response<CredentialChallenge>? challengeResponse), first.Message.ToString());
        CredentialChallenge challenge = challengeResponse!.Message;

        byte[] secret = tpm.ActivateCredential(challenge.CredentialBlob, challenge.EncryptedSecret);
        var proof = new CredentialProof(challenge.ChallengeId, tpm.TpmHash, CredentialProofMac.Compute(secret, tpm.TpmHash, challenge.ChallengeId));
        Response<NodeEnrolled, EnrolmentRejected> second = await agent.Prove.GetResponse<NodeEnrolled, EnrolmentRejected>(proof);
        Assert.True(second.Is(out Response<NodeEnrolled>? enrolledResponse), second.Message.ToString());
        Assert.Equal(tpm.AkName, enrolledResponse!.Message.AkName);

        NodeEnrolled published = await agent.Enrolled.WaitFor(tpm.TpmHash);
        Assert.Equal(tpm.AkName, published.AkName);
        Assert.Equal("node-a", published.Hostname);

        // The verifier's NodeEnrolled consumer stored the node (no tenant step).
        VerifierNode? atVerifier = null;
        for (int i = 0; i < 100 && atVerifier is null; i++)
        {
            atVerifier = agent.VerifierStore.FindNode(tpm.TpmHash);
            if (atVerifier is null)
            {
                await Task.Delay(100);
            }
        }

        Assert.NotNull(atVerifier);
        Assert.Equal(tpm.AkName, atVerifier!.AkName);
        Assert.Equal(tpm.Ek.ToArray(), atVerifier.EkPublic);

        // While the registrar runs it holds the LiteDB file: nodes list --db fails, saying why (exit 1, nothing on stdout).
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(1, RegistrarCli.Invoke(["nodes", "list", "--json", "--db", Db], stdout, stderr));
        Assert.Equal(string.Empty, stdout.ToString());
        Assert.Contains("in use by a running registrar", stderr.ToString(), StringComparison.Ordinal);

        // Stopped, the file is the registrar's no longer, and nodes list reads it.
        await _registrar!.StopAsync();
        _registrar.Dispose();
        _registrar = null;
        stderr.GetStringBuilder().Clear();
        Assert.Equal(0, RegistrarCli.Invoke(["nodes", "list", "--json", "--db", Db], stdout, stderr));
        using JsonDocument list = JsonDocument.Parse(stdout.ToString());
        JsonElement node = Assert.Single(list.RootElement.EnumerateArray());
        Assert.Equal(tpm.TpmHash, node.GetProperty("tpmHash").GetString());
        Assert.Equal("node-a", node.GetProperty("hostname").GetString());
        Assert.Equal("enrolled", node.GetProperty("state").GetString());

        stdout.GetStringBuilder().Clear();
        Assert.Equal(0, RegistrarCli.Invoke(["nodes", "show", tpm.TpmHash, "--db", Db], stdout, stderr));
        Assert.Contains(AuditEvents.Enrolled, stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rejection_is_a_response_not_a_fault()
    {
        await using TestAgentBus agent = await TestAgentBus.StartAsync(broker.Uri, "kcrypt-push-test-verifier-" + Guid.NewGuid().ToString("N")[..8]);
        using SoftwareTpm tpm = SoftwareTpm.CreateEcc();
        using var rogue = TestPki.Create("Rogue");

        var register = new RegisterNode(tpm.TpmHash, tpm.Ek.ToArray(), rogue.IssueEkCertificate(tpm.EkPublicKey), tpm.Ak.ToArray(), "node-b", Guid.NewGuid());
        Response<CredentialChallenge, EnrolmentRejected> response = await agent.Register.GetResponse<CredentialChallenge, EnrolmentRejected>(register);

        Assert.True(response.Is(out Response<EnrolmentRejected>? rejected));
        Assert.Equal(EnrolmentRejectionReasons.EkCertificateUntrusted, rejected!.Message.ReasonCode);
    }

    [Theory]
    [InlineData("bad-base64")]
    [InlineData("missing-field")]
    [InlineData("wrong-size")]
    public async Task A_malformed_message_lands_in_the_error_queue_with_a_reason_and_the_consumer_keeps_going(string kind)
    {
        using SoftwareTpm tpm = SoftwareTpm.CreateEcc();

        // First a good request, so the registrar's exchange and queue exist and it consumes.
        await using TestAgentBus agent = await TestAgentBus.StartAsync(broker.Uri, "kcrypt-push-test-verifier-" + Guid.NewGuid().ToString("N")[..8]);
        var good = new RegisterNode(tpm.TpmHash, tpm.Ek.ToArray(), _pki.IssueEkCertificate(tpm.EkPublicKey), tpm.Ak.ToArray(), "good", Guid.NewGuid());
        Assert.True((await agent.Register.GetResponse<CredentialChallenge, EnrolmentRejected>(good)).Is(out Response<CredentialChallenge>? _));

        var factory = new ConnectionFactory { Uri = new Uri(broker.Uri) };
        await using IConnection connection = await factory.CreateConnectionAsync();
        await using IChannel channel = await connection.CreateChannelAsync();
        string errorQueue = KcryptPushQueues.Registrar + "_error";
        await channel.QueueDeclareAsync(errorQueue, durable: true, exclusive: false, autoDelete: false);
        await channel.QueuePurgeAsync(errorQueue);

        var message = new Dictionary<string, object?>
        {
            ["tpmHash"] = tpm.TpmHash,
            ["ekPublic"] = Convert.ToBase64String(tpm.Ek.ToArray()),
            ["ekCertificate"] = null,
            ["akPublic"] = Convert.ToBase64String(tpm.Ak.ToArray()),
            ["hostname"] = "malformed",
            ["registrationId"] = Guid.NewGuid(),
        };
        switch (kind)
        {
            case "bad-base64": message["akPublic"] = "***not base64***"; break;
            case "missing-field": message.Remove("ekPublic"); break;
            case "wrong-size": message["akPublic"] = Convert.ToBase64String(tpm.Ak.ToArray()[..^5]); break;
        }

        var envelope = new Dictionary<string, object?>
        {
            ["messageId"] = Guid.NewGuid(),
            ["conversationId"] = Guid.NewGuid(),
            ["destinationAddress"] = $"rabbitmq://127.0.0.1/{KcryptPushQueues.Registrar}",
            ["messageType"] = new[] { "urn:message:KcryptPush.Contracts.V1:RegisterNode" },
            ["message"] = message,
            ["sentTime"] = DateTime.UtcNow,
            ["headers"] = new Dictionary<string, object>(),
        };
        var props = new BasicProperties
        {
            ContentType = "application/vnd.masstransit+json",
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = Guid.NewGuid().ToString(),
        };
        await channel.BasicPublishAsync(KcryptPushQueues.Registrar, string.Empty, mandatory: true, props, JsonSerializer.SerializeToUtf8Bytes(envelope));

        BasicGetResult? faulted = null;
        for (int i = 0; i < 150 && faulted is null; i++)
        {
            faulted = await channel.BasicGetAsync(errorQueue, autoAck: true);
            if (faulted is null)
            {
                await Task.Delay(200);
            }
        }

        Assert.NotNull(faulted);
        IDictionary<string, object?> headers = faulted!.BasicProperties.Headers!;
        string Header(string name) => headers.TryGetValue(name, out object? v) ? v is byte[] b ? Encoding.UTF8.GetString(b) : v?.ToString() ?? string.Empty : string.Empty;
        Assert.NotEmpty(Header("MT-Fault-ExceptionType"));
        Assert.NotEmpty(Header("MT-Fault-Message"));

        // The consumer is still there: a good registration is answered.
        Response<CredentialChallenge, EnrolmentRejected> response =
            await agent.Register.GetResponse<CredentialChallenge, EnrolmentRejected>(good with { RegistrationId = Guid.NewGuid() });
        Assert.True(response.Is(out Response<CredentialChallenge>? _));
        if (kind == "bad-base64")
        {
            Assert.Equal(typeof(FormatException).FullName, Header("MT-Fault-ExceptionType"));
            Assert.Contains("Base64", Header("MT-Fault-Message"), StringComparison.OrdinalIgnoreCase);
        }
        else
        {
            Assert.Equal(typeof(MessageValidationException).FullName, Header("MT-Fault-ExceptionType"));
            Assert.Contains(kind == "missing-field" ? "RegisterNode.EkPublic" : "RegisterNode.AkPublic", Header("MT-Fault-Message"), StringComparison.Ordinal);
        }
    }
}
