using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Agent.Attestation;

/// <summary>
/// <see cref="IVerifierClient"/> over MassTransit request clients addressed to the verifier's
/// attestation queue (<see cref="VerifierQueue"/>). The request timeout is Broker:RequestTimeout.
/// </summary>
public sealed class BusVerifierClient(IRequestClient<RequestChallenge> challenges, IRequestClient<QuoteSubmitted> quotes) : IVerifierClient
{
    /// <inheritdoc/>
    public async Task<ChallengeReply> RequestChallengeAsync(string tpmHash, CancellationToken cancellationToken)
    {
        Response<Challenge, AttestationRefused> response = await Ask(
            () => challenges.GetResponse<Challenge, AttestationRefused>(new RequestChallenge(tpmHash), cancellationToken), "RequestChallenge", cancellationToken).ConfigureAwait(false);
        if (response.Is(out Response<Challenge>? challenge))
        {
            return new ChallengeReply(challenge!.Message, null);
        }

        return response.Is(out Response<AttestationRefused>? refused)
            ? new ChallengeReply(null, refused!.Message)
            : throw new VerifierUnavailableException("the verifier answered RequestChallenge with an unexpected message");
    }

    /// <inheritdoc/>
    public async Task<AttestationResult> SubmitAsync(QuoteSubmitted quote, CancellationToken cancellationToken)
    {
        Response<AttestationResult> response = await Ask(
            () => quotes.GetResponse<AttestationResult>(quote, cancellationToken), "QuoteSubmitted", cancellationToken).ConfigureAwait(false);
        return response.Message;
    }

    private static async Task<T> Ask<T>(Func<Task<T>> request, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await request().ConfigureAwait(false);
        }
        catch (RequestFaultException e) when (e.Fault?.Exceptions.Any(x => x.ExceptionType.EndsWith(".MessageValidationException", StringComparison.Ordinal)) == true)
        {
            string reason = e.Fault.Exceptions.First(x => x.ExceptionType.EndsWith(".MessageValidationException", StringComparison.Ordinal)).Message;
            throw new VerifierFaultException($"the verifier refused {what} as malformed: {reason}", e);
        }
        catch (RequestTimeoutException e)
        {
            throw new VerifierUnavailableException($"no answer to {what} in time (verifier or broker away)", e);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Connection failures and consumer faults surface as several MassTransit/RabbitMQ
            // exception types; all are worth another try after a pause.
            throw new VerifierUnavailableException($"{what} could not be delivered: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }
}
