namespace KcryptPush.Agent.Enrolment;

/// <summary>How an enrolment ended.</summary>
public enum EnrolmentStatus
{
    /// <summary>The registrar accepted the proof: NodeEnrolled.</summary>
    Enrolled,

    /// <summary>The registrar answered EnrolmentRejected with a final reason.</summary>
    Rejected,

    /// <summary>Something that retrying cannot fix: the TPM refused activation, the registrar refused a malformed message, the TPM holds another key at the AK handle.</summary>
    Failed,

    /// <summary>The deadline passed while the broker or registrar stayed away.</summary>
    TimedOut,
}
