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

    /// <summary>The MassTransit short address of the verifier's attestation queue, for request clients.</summary>
    public static Uri VerifierAttestationAddress { get; } = new("queue:" + VerifierAttestation);

    /// <summary>The MassTransit short address of the registrar's queue, for request clients.</summary>
    public static Uri RegistrarAddress { get; } = new("queue:" + Registrar);
}
