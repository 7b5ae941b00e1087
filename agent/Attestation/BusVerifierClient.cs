using KcryptPush.Agent.Bus;
using KcryptPush.Contracts.V1;
using KcryptPush.Messaging;

namespace KcryptPush.Agent.Attestation;

/// <summary>
/// <see cref="IVerifierClient"/> over <see cref="AmqpRequestClient"/>: requests to the exchange of
/// the verifier's attestation queue (<see cref="KcryptPushQueues.VerifierAttestation"/>), answered
/// by the verifier's MassTransit consumers. The request timeout is Broker:RequestTimeout.
/// </summary>
public sealed class BusVerifierClient(AmqpRequestClient bus) : IVerifierClient
{
    private static readonly string[] ChallengeAnswers = [MessageUrns.Of<Challenge>(), MessageUrns.Of<AttestationRefused>()];
    private static readonly string[] QuoteAnswers = [MessageUrns.Of<AttestationResult>()];

    /// <inheritdoc/>
    public async Task<ChallengeReply> RequestChallengeAsync(string tpmHash, CancellationToken cancellationToken)
    {
        ReceivedEnvelope answer = await Ask(new RequestChallenge(tpmHash), AgentJsonContext.Default.RequestChallenge, ChallengeAnswers, "RequestChallenge", cancellationToken).ConfigureAwait(false);
        return answer.Is<Challenge>() ? new ChallengeReply(Read(answer, AgentJsonContext.Default.Challenge), null)
            : answer.Is<AttestationRefused>() ? new ChallengeReply(null, Read(answer, AgentJsonContext.Default.AttestationRefused))
            : throw new VerifierUnavailableException($"the verifier answered RequestChallenge with an unexpected message ({string.Join(", ", answer.MessageTypes)})");
    }

    /// <inheritdoc/>
    public async Task<AttestationResult> SubmitAsync(QuoteSubmitted quote, CancellationToken cancellationToken)
    {
        ReceivedEnvelope answer = await Ask(quote, AgentJsonContext.Default.QuoteSubmitted, QuoteAnswers, "QuoteSubmitted", cancellationToken).ConfigureAwait(false);
        return answer.Is<AttestationResult>()
            ? Read(answer, AgentJsonContext.Default.AttestationResult)
            : throw new VerifierUnavailableException($"the verifier answered QuoteSubmitted with an unexpected message ({string.Join(", ", answer.MessageTypes)})");
    }

    private static T Read<T>(ReceivedEnvelope answer, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
    {
        try
        {
            return answer.Get(typeInfo);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new VerifierUnavailableException($"the verifier's {typeof(T).Name} could not be read: {e.Message}", e);
        }
    }

    private async Task<ReceivedEnvelope> Ask<T>(T message, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, string[] accepts, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await bus.RequestAsync(KcryptPushQueues.VerifierAttestation, message, typeInfo, accepts, cancellationToken).ConfigureAwait(false);
        }
        catch (BusFaultException e) when (e.MessageOf(".MessageValidationException") is { } reason)
        {
            throw new VerifierFaultException($"the verifier refused {what} as malformed: {reason}", e);
        }
        catch (BusRequestTimeoutException e)
        {
            throw new VerifierUnavailableException($"no answer to {what} in time (verifier or broker away)", e);
        }
        catch (BrokerLostException e)
        {
            throw new VerifierUnavailableException($"{what} could not be delivered: {e.Message}", e) { BrokerLost = true };
        }
        catch (BusRequestException e)
        {
            // No broker, a refused login, a lost connection, a consumer fault other than validation:
            // all are worth another try after a pause.
            throw new VerifierUnavailableException($"{what} could not be delivered: {e.Message}", e);
        }
    }
}
