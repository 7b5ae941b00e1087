using KcryptPush.Contracts.V1;

namespace KcryptPush.Agent.Enrolment;

/// <summary>The end of an enrolment: the status, what the registrar said, and one line for operators.</summary>
public sealed record EnrolmentResult(EnrolmentStatus Status, string Message, NodeEnrolled? Enrolled = null, EnrolmentRejected? Rejection = null, string? TpmHash = null);
