using KcryptPush.Contracts.V1;

namespace KcryptPush.Agent.Enrolment;

/// <summary>
/// The registrar's two requests (request/response over the broker). Implementations throw
/// <see cref="RegistrarUnavailableException"/> for anything worth retrying (no broker, no answer in
/// time) and <see cref="RegistrarFaultException"/> when the registrar refused the message itself.
/// </summary>
public interface IRegistrarClient
{
    /// <summary>RegisterNode → CredentialChallenge or EnrolmentRejected.</summary>
    Task<RegistrarReply<CredentialChallenge>> RegisterAsync(RegisterNode request, CancellationToken cancellationToken);

    /// <summary>CredentialProof → NodeEnrolled or EnrolmentRejected.</summary>
    Task<RegistrarReply<NodeEnrolled>> ProveAsync(CredentialProof proof, CancellationToken cancellationToken);
}

/// <summary>One answer of the registrar: exactly one of <paramref name="Accepted"/> and <paramref name="Rejected"/> is set.</summary>
public sealed record RegistrarReply<T>(T? Accepted, EnrolmentRejected? Rejected)
    where T : class;
