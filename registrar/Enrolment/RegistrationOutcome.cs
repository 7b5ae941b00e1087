using KcryptPush.Contracts.V1;

namespace KcryptPush.Registrar.Enrolment;

/// <summary>The answer to a RegisterNode: exactly one of the two is set.</summary>
public sealed record RegistrationOutcome(CredentialChallenge? Challenge, EnrolmentRejected? Rejection);
