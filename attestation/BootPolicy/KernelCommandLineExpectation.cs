namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// What the policy expects of the kernel command line events (<see cref="KernelCommandLine"/>):
/// either none (<see cref="Absent"/>: e.g. a UKI whose command line is a PE section, pinned on PCR 11),
/// or at least one, each with an allowed digest.
/// </summary>
public sealed class KernelCommandLineExpectation
{
    private KernelCommandLineExpectation(bool absent, AllowedDigests? allowed, IReadOnlyList<string> values)
    {
        IsAbsent = absent;
        Allowed = allowed;
        Values = values;
    }

    /// <summary>True when the log must not measure a kernel command line.</summary>
    public bool IsAbsent { get; }

    /// <summary>The digests a kernel command line event may have; null when <see cref="IsAbsent"/>.</summary>
    public AllowedDigests? Allowed { get; }

    /// <summary>The command lines of the known-good log, for readers; the digests are what is checked.</summary>
    public IReadOnlyList<string> Values { get; }

    /// <summary>No kernel command line may be measured.</summary>
    public static KernelCommandLineExpectation Absent() => new(true, null, []);

    /// <summary>At least one kernel command line, each with one of <paramref name="allowed"/>.</summary>
    public static KernelCommandLineExpectation Measured(AllowedDigests allowed, IReadOnlyList<string>? values = null)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        return new KernelCommandLineExpectation(false, allowed, values ?? []);
    }
}
