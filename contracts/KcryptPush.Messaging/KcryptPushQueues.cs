namespace KcryptPush.Messaging;

/// <summary>
/// The queue names of the KcryptPush topology (kebab-case, prefixed "kcrypt-push"). Each is a
/// durable RabbitMQ queue with a fanout exchange of the same name bound to it (MassTransit's
/// RabbitMQ topology); faults go to <c>NAME_error</c>, expired-and-skipped to <c>NAME_skipped</c>.
/// Message types are published to exchanges named after the contract type, e.g.
/// <c>KcryptPush.Contracts.V1:NodeEnrolled</c>, bound to the queues that consume them.
/// </summary>
public static class KcryptPushQueues
{
    /// <summary>The prefix of every queue name.</summary>
    public const string Prefix = "kcrypt-push";

    /// <summary>Registrar: consumes RegisterNode and CredentialProof (requests; responses go to the requester's address).</summary>
    public const string Registrar = "kcrypt-push-registrar";

    /// <summary>Verifier: consumes NodeEnrolled (bound to the <c>KcryptPush.Contracts.V1:NodeEnrolled</c> exchange).</summary>
    public const string VerifierEnrolment = "kcrypt-push-verifier-enrolment";

    /// <summary>Verifier: consumes RequestChallenge (request/response) and QuoteSubmitted (answered with AttestationResult).</summary>
    public const string VerifierAttestation = "kcrypt-push-verifier-attestation";

    /// <summary>
    /// The exchange every verdict event (NodeTrusted, NodeQuarantined, NodeSilent, NodeTerminated)
    /// reaches: MassTransit binds each concrete event's exchange to the exchange of the interface
    /// they share. Alert consumers bind their own queue here.
    /// </summary>
    public const string VerdictExchange = "KcryptPush.Contracts.V1:INodeVerdict";

    /// <summary>Verifier: consumes the operator commands (requests from <c>kcrypt-push-verifier nodes</c>).</summary>
    public const string VerifierOperator = "kcrypt-push-verifier-operator";

    /// <summary>Where agents send RequestChallenge and QuoteSubmitted: the exchange of the verifier's
    /// attestation queue. An exchange address, not a queue address, so a sender needs no right on the
    /// queue itself (declaring a queue would let it read or delete it; see scripts/rabbitmq.sh users).</summary>
    public static Uri VerifierAttestationAddress { get; } = new("exchange:" + VerifierAttestation);

    /// <summary>Where agents send RegisterNode and CredentialProof: the registrar queue's exchange.</summary>
    public static Uri RegistrarAddress { get; } = new("exchange:" + Registrar);

    /// <summary>Where operators send commands: the verifier operator queue's exchange.</summary>
    public static Uri VerifierOperatorAddress { get; } = new("exchange:" + VerifierOperator);
}
