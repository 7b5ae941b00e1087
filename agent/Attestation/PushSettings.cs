namespace KcryptPush.Agent.Attestation;

/// <summary>What the push loop needs besides the TPM and the verifier.</summary>
/// <param name="Interval">Time between attestations (DESIGN.md default 60 s).</param>
/// <param name="EventLogPath">The binary measured-boot log (default <c>/sys/kernel/security/tpm0/binary_bios_measurements</c>).</param>
/// <param name="RetryMinDelay">First pause after a transient failure.</param>
/// <param name="RetryMaxDelay">Cap of the exponential backoff.</param>
/// <param name="Jitter">Relative jitter of the interval (0.1 = ±10 %), so nodes started together drift apart.</param>
public sealed record PushSettings(TimeSpan Interval, string EventLogPath, TimeSpan RetryMinDelay, TimeSpan RetryMaxDelay, double Jitter = 0.1)
{
    /// <summary>The default of <see cref="BrokerRetryMaxDelay"/>.</summary>
    public static readonly TimeSpan DefaultBrokerRetryMaxDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Cap of the backoff while the broker cannot be reached (or the connection broke): the node is back within
    /// this of the broker's return, so within two intervals of it (issue 10, item 4), instead of up to
    /// <see cref="RetryMaxDelay"/>. Jittered like every pause (half to all of it), a fleet does not come back in
    /// lock step, and a broker that is down sees one refused connection per node per few seconds.
    /// </summary>
    public TimeSpan BrokerRetryMaxDelay { get; init; } = DefaultBrokerRetryMaxDelay;

    /// <summary>The default event log of Linux (securityfs).</summary>
    public const string DefaultEventLog = "/sys/kernel/security/tpm0/binary_bios_measurements";

    /// <summary>The interval with jitter applied: Interval × (1 ± Jitter), uniformly.</summary>
    public TimeSpan NextDelay(Random? random = null)
    {
        double factor = 1 + (Jitter * ((2 * (random ?? Random.Shared).NextDouble()) - 1));
        return TimeSpan.FromTicks((long)(Interval.Ticks * factor));
    }
}
