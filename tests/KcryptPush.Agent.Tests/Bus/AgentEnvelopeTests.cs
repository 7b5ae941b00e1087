using System.Net.Mime;
using System.Text;
using System.Text.Json;
using KcryptPush.Agent.Bus;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;
using MassTransit;
using MassTransit.Context;
using MassTransit.Events;
using MassTransit.Metadata;
using MassTransit.Serialization;

namespace KcryptPush.Agent.Tests.Bus;

/// <summary>
/// The agent's own MassTransit envelope (agent/Bus) against MassTransit's serializer itself: what
/// the agent writes, MassTransit 8.5 reads (ids, addresses, types, every field of the message), and
/// what MassTransit writes (a response, a Fault&lt;T&gt;) the agent reads. Interop with the real
/// services is the integration tests' part (the agent runs against MassTransit consumers there).
/// </summary>
[Trait("Category", "Unit")]
public sealed class AgentEnvelopeTests
{
    private static readonly SystemTextJsonMessageSerializer MassTransitSerializer = new(new ContentType(MassTransitEnvelope.ContentType));

    private static readonly DateTimeOffset Sent = new(2026, 12, 7, 16, 30, 53, 106, TimeSpan.Zero);

    private static QuoteSubmitted Quote(byte[]? log, byte[]? releaseKey) => new(
        Guid.Parse("4d48bbdc-bbee-4c6e-828e-d68fb0375b1f"), "37fa6b53f0ac0c7eb14c6538653ea71a7decbed0e6d1ce912352b118e8edb592",
        [0, 11, 1, 2], [0xff, 0x54, 0x43, 0x47], [0, 20, 0, 11, 9],
        [new PcrBankValues("sha256", new Dictionary<int, byte[]> { [0] = new byte[32], [23] = Enumerable.Repeat((byte)0xff, 32).ToArray() })],
        Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), log, releaseKey is null ? null : ["COS_PERSISTENT"], "node1", releaseKey);

    private static RequestHeader Header(Guid messageId, Guid requestId) => new(
        messageId, requestId, Guid.NewGuid(),
        "rabbitmq://127.0.0.1:5672/vm_kcryptpushagent_bus_0123456789abcdef0123456789abcdef",
        "rabbitmq://127.0.0.1:5672/kcrypt-push-verifier-attestation",
        "rabbitmq://127.0.0.1:5672/vm_kcryptpushagent_bus_0123456789abcdef0123456789abcdef",
        Sent, Sent.AddSeconds(30), [MessageUrns.Of<AttestationResult>()]);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_quote_the_agent_writes_is_read_by_MassTransit_field_for_field(bool withLogAndKey)
    {
        QuoteSubmitted quote = Quote(withLogAndKey ? [1, 2, 3, 4, 5] : null, withLogAndKey ? [0, 0x23, 0, 0x0b] : null);
        Guid messageId = Guid.NewGuid(), requestId = Guid.NewGuid();
        byte[] body = MassTransitEnvelope.Write(quote, AgentJsonContext.Default.QuoteSubmitted, Header(messageId, requestId));

        SerializerContext read = MassTransitSerializer.Deserialize(new BytesMessageBody(body), new DictionarySendHeaders(), null);
        Assert.Equal(messageId, read.MessageId);
        Assert.Equal(requestId, read.RequestId);
        Assert.Equal(new Uri("rabbitmq://127.0.0.1:5672/vm_kcryptpushagent_bus_0123456789abcdef0123456789abcdef"), read.ResponseAddress);
        Assert.Equal(new Uri("rabbitmq://127.0.0.1:5672/kcrypt-push-verifier-attestation"), read.DestinationAddress);
        Assert.Equal(["urn:message:KcryptPush.Contracts.V1:QuoteSubmitted"], read.SupportedMessageTypes);
        Assert.Equal(Sent.UtcDateTime, read.SentTime);
        Assert.Equal(Sent.AddSeconds(30).UtcDateTime, read.ExpirationTime);
        Assert.True(read.TryGetMessage(out QuoteSubmitted? got));

        // Records with arrays compare by reference: compare what goes on the wire instead.
        Assert.Equal(JsonSerializer.Serialize(quote), JsonSerializer.Serialize(got));
        if (!withLogAndKey)
        {
            // An absent log is null, not an empty log (whose digest the verifier would refuse).
            Assert.Null(got!.EventLog);
            Assert.Null(got.ReleaseKeyPublic);
            Assert.Null(got.WantedSecrets);
        }
    }

    [Fact]
    public void The_accepted_response_types_reach_MassTransit_as_its_request_header()
    {
        byte[] body = MassTransitEnvelope.Write(new RequestChallenge("ab"), AgentJsonContext.Default.RequestChallenge, Header(Guid.NewGuid(), Guid.NewGuid()) with
        {
            AcceptTypes = [MessageUrns.Of<Challenge>(), MessageUrns.Of<AttestationRefused>()],
        });

        using JsonDocument doc = JsonDocument.Parse(body);
        Assert.Equal(
            ["urn:message:KcryptPush.Contracts.V1:Challenge", "urn:message:KcryptPush.Contracts.V1:AttestationRefused"],
            doc.RootElement.GetProperty("headers").GetProperty("MT-Request-AcceptType").EnumerateArray().Select(e => e.GetString()));
        SerializerContext read = MassTransitSerializer.Deserialize(new BytesMessageBody(body), new DictionarySendHeaders(), null);
        Assert.True(read.TryGetMessage(out RequestChallenge? request));
        Assert.Equal("ab", request!.TpmHash);
    }

    [Fact]
    public void The_envelope_has_every_field_MassTransit_writes_and_no_other()
    {
        byte[] body = MassTransitEnvelope.Write(new RequestChallenge("ab"), AgentJsonContext.Default.RequestChallenge, Header(Guid.NewGuid(), Guid.NewGuid()));
        using JsonDocument doc = JsonDocument.Parse(body);
        Assert.Equal(
            ["messageId", "requestId", "correlationId", "conversationId", "initiatorId", "sourceAddress", "destinationAddress", "responseAddress",
             "faultAddress", "messageType", "message", "expirationTime", "sentTime", "headers", "host"],
            doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.DoesNotContain('\n', Encoding.UTF8.GetString(body));
    }

    [Fact]
    public void A_response_MassTransit_writes_is_read_by_the_agent()
    {
        var result = new AttestationResult(Guid.NewGuid(), "ab", AttestationVerdicts.Pass, [new AttestationReason("r", "m")],
            new Challenge(Guid.NewGuid(), "ab", [9, 9, 9], [new PcrBankSelection("sha256", [0, 1, 7])], Sent.AddMinutes(2)),
            EventLogWanted: true, [new SealedSecret("COS_PERSISTENT", [1], [2], [3], [4], [5])], null);
        Guid requestId = Guid.NewGuid();
        byte[] body = MassTransitBody(result, requestId);

        ReceivedEnvelope envelope = MassTransitEnvelope.Read(body);
        Assert.Equal(requestId, envelope.RequestId);
        Assert.False(envelope.IsFault);
        Assert.True(envelope.Is<AttestationResult>());
        Assert.False(envelope.Is<Challenge>());
        AttestationResult got = envelope.Get(AgentJsonContext.Default.AttestationResult);
        Assert.Equal(JsonSerializer.Serialize(result), JsonSerializer.Serialize(got));
    }

    [Fact]
    public void A_fault_MassTransit_writes_is_read_with_its_exception_types_and_messages()
    {
        QuoteSubmitted quote = Quote(null, null);
        var fault = new FaultEvent<QuoteSubmitted>(quote, Guid.NewGuid(), new BusHostInfo(true),
            new MessageValidationException("QuoteSubmitted.Pcrs: bank 'md5' is not a PCR bank"), [MessageUrns.Of<QuoteSubmitted>()]);
        Guid requestId = Guid.NewGuid();
        byte[] body = MassTransitBody<Fault<QuoteSubmitted>>(fault, requestId);

        ReceivedEnvelope envelope = MassTransitEnvelope.Read(body);
        Assert.Equal(requestId, envelope.RequestId);
        Assert.True(envelope.IsFault);
        Assert.False(envelope.Is<AttestationResult>());
        FaultedException e = Assert.Single(envelope.FaultExceptions());
        Assert.Equal("KcryptPush.Messaging.MessageValidationException", e.ExceptionType);
        Assert.Equal("QuoteSubmitted.Pcrs: bank 'md5' is not a PCR bank", e.Message);

        var thrown = new BusFaultException([.. envelope.FaultExceptions().Select(f => (f.ExceptionType, f.Message))]);
        Assert.Equal("QuoteSubmitted.Pcrs: bank 'md5' is not a PCR bank", thrown.MessageOf(".MessageValidationException"));
        Assert.Null(thrown.MessageOf(".TimeoutException"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("{\"messageType\": [\"urn:message:X:Y\"]}")]
    [InlineData("{\"message\": {}}")]
    [InlineData("not json")]
    public void What_is_no_envelope_is_refused_as_such(string body)
    {
        Assert.ThrowsAny<JsonException>(() => MassTransitEnvelope.Read(Encoding.UTF8.GetBytes(body)));
    }

    [Fact]
    public void Message_urns_are_MassTransits()
    {
        Assert.Equal("urn:message:KcryptPush.Contracts.V1:CredentialProof", MessageUrns.Of<CredentialProof>());
        Assert.Equal(MessageUrn.ForTypeString<CredentialProof>(), MessageUrns.Of<CredentialProof>());
        Assert.Equal(MessageUrn.ForTypeString<NodeEnrolled>(), MessageUrns.Of<NodeEnrolled>());
    }

    private static byte[] MassTransitBody<T>(T message, Guid requestId)
        where T : class
    {
        var context = new MessageSendContext<T>(message, CancellationToken.None)
        {
            RequestId = requestId,
            MessageId = Guid.NewGuid(),
            SourceAddress = new Uri("rabbitmq://127.0.0.1:5672/kcrypt-push-verifier-attestation"),
            DestinationAddress = new Uri("rabbitmq://127.0.0.1:5672/vm_kcryptpushagent_bus_0123456789abcdef0123456789abcdef"),
        };
        return MassTransitSerializer.GetMessageBody(context).GetBytes();
    }
}
