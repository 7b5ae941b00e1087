using KcryptPush.Agent.Enrolment;

namespace KcryptPush.Agent.Hosting;

/// <summary>
/// Thrown from the enrolment service's StartAsync when enrolment ended without success, so the
/// host never reaches "started" and never reports READY=1 to systemd; <c>run</c> exits 1.
/// </summary>
public sealed class EnrolmentFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EnrolmentFailedException(EnrolmentResult result)
        : base(result?.Message)
    {
        Result = result!;
    }

    /// <summary>How enrolment ended.</summary>
    public EnrolmentResult Result { get; }
}
