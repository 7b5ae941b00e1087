namespace KcryptPush.Agent.Enrolment;

/// <summary>What the enrolment loop needs besides the TPM and the registrar.</summary>
/// <param name="Hostname">Reported in RegisterNode (informational, never an identity).</param>
/// <param name="RetryMinDelay">First pause after a transient failure.</param>
/// <param name="RetryMaxDelay">Longest pause (the cap of the exponential backoff).</param>
public sealed record EnrolmentSettings(string Hostname, TimeSpan RetryMinDelay, TimeSpan RetryMaxDelay);
