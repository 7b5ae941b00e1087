using KcryptPush.Contracts.V1;
using MassTransit;

namespace KcryptPush.Agent.Enrolment;

/// <summary>
/// <see cref="IRegistrarClient"/> over MassTransit request clients addressed to the registrar's
/// queue (<c>kcrypt-push-registrar</c>). The request timeout is Broker:RequestTimeout.
/// </summary>
public sealed class BusRegistrarClient(IRequestClient<RegisterNode> register, IRequestClient<CredentialProof> prove) : IRegistrarClient
{
    /// <inheritdoc/>
    public async Task<RegistrarReply<CredentialChallenge>> RegisterAsync(RegisterNode request, CancellationToken cancellationToken)
    {
        Response<CredentialChallenge, EnrolmentRejected> response = await Ask(
            () => register.GetResponse<CredentialChallenge, EnrolmentRejected>(request, cancellationToken), "RegisterNode", cancellationToken).ConfigureAwait(false);
        if (response.Is(out Response<CredentialChallenge>? challenge))
        {
            return new RegistrarReply<CredentialChallenge>(challenge!.Message, null);
        }

        return response.Is(out Response<EnrolmentRejected>? rejected)
            ? new RegistrarReply<CredentialChallenge>(null, rejected!.Message)
            : throw new RegistrarUnavailableException("the registrar answered RegisterNode with an unexpected message");
    }

    /// <inheritdoc/>
    public async Task<RegistrarReply<NodeEnrolled>> ProveAsync(CredentialProof proof, CancellationToken cancellationToken)
    {
        Response<NodeEnrolled, EnrolmentRejected> response = await Ask(
            () => prove.GetResponse<NodeEnrolled, EnrolmentRejected>(proof, cancellationToken), "CredentialProof", cancellationToken).ConfigureAwait(false);
        if (response.Is(out Response<NodeEnrolled>? enrolled))
        {
            return new RegistrarReply<NodeEnrolled>(enrolled!.Message, null);
        }

        return response.Is(out Response<EnrolmentRejected>? rejected)
            ? new RegistrarReply<NodeEnrolled>(null, rejected!.Message)
            : throw new RegistrarUnavailableException("the registrar answered CredentialProof with an unexpected message");
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
            throw new RegistrarFaultException($"the registrar refused {what} as malformed: {reason}", e);
        }
        catch (RequestTimeoutException e)
        {
            throw new RegistrarUnavailableException($"no answer to {what} in time (registrar or broker away)", e);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Connection failures surface as several MassTransit/RabbitMQ exception types; all are
            // worth another try after a pause.
            throw new RegistrarUnavailableException($"{what} could not be delivered: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }
}
