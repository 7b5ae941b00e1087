using KcryptPush.Agent.Bus;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;

namespace KcryptPush.Agent.Enrolment;

/// <summary>
/// <see cref="IRegistrarClient"/> over <see cref="AmqpRequestClient"/>: requests to the exchange of
/// the registrar's queue (<see cref="KcryptPushQueues.Registrar"/>), answered by the registrar's
/// MassTransit consumers. The request timeout is Broker:RequestTimeout.
/// </summary>
public sealed class BusRegistrarClient(AmqpRequestClient bus) : IRegistrarClient
{
    private static readonly string[] RegisterAnswers = [MessageUrns.Of<CredentialChallenge>(), MessageUrns.Of<EnrolmentRejected>()];
    private static readonly string[] ProofAnswers = [MessageUrns.Of<NodeEnrolled>(), MessageUrns.Of<EnrolmentRejected>()];

    /// <inheritdoc/>
    public async Task<RegistrarReply<CredentialChallenge>> RegisterAsync(RegisterNode request, CancellationToken cancellationToken)
    {
        ReceivedEnvelope answer = await Ask(request, AgentJsonContext.Default.RegisterNode, RegisterAnswers, "RegisterNode", cancellationToken).ConfigureAwait(false);
        return answer.Is<CredentialChallenge>() ? new RegistrarReply<CredentialChallenge>(Read(answer, AgentJsonContext.Default.CredentialChallenge), null)
            : answer.Is<EnrolmentRejected>() ? new RegistrarReply<CredentialChallenge>(null, Read(answer, AgentJsonContext.Default.EnrolmentRejected))
            : throw new RegistrarUnavailableException($"the registrar answered RegisterNode with an unexpected message ({string.Join(", ", answer.MessageTypes)})");
    }

    /// <inheritdoc/>
    public async Task<RegistrarReply<NodeEnrolled>> ProveAsync(CredentialProof proof, CancellationToken cancellationToken)
    {
        ReceivedEnvelope answer = await Ask(proof, AgentJsonContext.Default.CredentialProof, ProofAnswers, "CredentialProof", cancellationToken).ConfigureAwait(false);
        return answer.Is<NodeEnrolled>() ? new RegistrarReply<NodeEnrolled>(Read(answer, AgentJsonContext.Default.NodeEnrolled), null)
            : answer.Is<EnrolmentRejected>() ? new RegistrarReply<NodeEnrolled>(null, Read(answer, AgentJsonContext.Default.EnrolmentRejected))
            : throw new RegistrarUnavailableException($"the registrar answered CredentialProof with an unexpected message ({string.Join(", ", answer.MessageTypes)})");
    }

    private static T Read<T>(ReceivedEnvelope answer, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
    {
        try
        {
            return answer.Get(typeInfo);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new RegistrarUnavailableException($"the registrar's {typeof(T).Name} could not be read: {e.Message}", e);
        }
    }

    private async Task<ReceivedEnvelope> Ask<T>(T message, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, string[] accepts, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await bus.RequestAsync(KcryptPushQueues.Registrar, message, typeInfo, accepts, cancellationToken).ConfigureAwait(false);
        }
        catch (BusFaultException e) when (e.MessageOf(".MessageValidationException") is { } reason)
        {
            throw new RegistrarFaultException($"the registrar refused {what} as malformed: {reason}", e);
        }
        catch (BusRequestTimeoutException e)
        {
            throw new RegistrarUnavailableException($"no answer to {what} in time (registrar or broker away)", e);
        }
        catch (BusRequestException e)
        {
            // No broker, a refused login, a lost connection: all are worth another try after a pause.
            throw new RegistrarUnavailableException($"{what} could not be delivered: {e.Message}", e);
        }
    }
}
