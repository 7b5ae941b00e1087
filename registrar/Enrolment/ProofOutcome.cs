using KcryptPush.Contracts.V1;

namespace KcryptPush.Registrar.Enrolment;

/// <summary>The answer to a CredentialProof: exactly one of the two is set.</summary>
public sealed record ProofOutcome(NodeEnrolled? Enrolled, EnrolmentRejected? Rejection);
