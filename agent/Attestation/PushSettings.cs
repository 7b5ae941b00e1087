namespace KcryptPush.Agent.Attestation;

/// <summary>What the push loop needs besides the TPM and the verifier.</summary>
/// <param name="Interval">Time between attestations (DESIGN.md default 60 s).</param>
/// <param name="EventLogPath">The binary measured-boot log (default <c>/sys/kernel/security/tpm0/binary_bios_measurements</c>).</param>
/// <param name="RetryMinDelay">First pause after a transient failure.</param>
/// <param name="RetryMaxDelay">Cap of the exponential backoff.</param>
/// <param name="Jitter">Relative jitter of the interval (0.1 = ±10 %), so nodes started together drift apart.</param>
public sealed record PushSettings(TimeSpan Interval, string EventLogPath, TimeSpan RetryMinDelay, TimeSpan RetryMaxDelay, double Jitter = 0.1)
{
    /// <summary>The default event log of Linux (securityfs).</summary>
    public const string DefaultEventLog = "/sys/kernel/security/tpm0/binary_bios_measurements";

    /// <summary>The interval with jitter applied: Interval × (1 ± Jitter), uniformly.</summary>
    public TimeSpan NextDelay(Random? random = null)
    {
        double factor = 1 + (Jitter * ((2 * (random ?? Random.Shared).NextDouble()) - 1));
        return TimeSpan.FromTicks((long)(Interval.Ticks * factor));
    }
}
