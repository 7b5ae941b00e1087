namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// What the policy expects of one Secure Boot database variable (PK, KEK, db, dbx): either that
/// the log does not measure it (<see cref="Absent"/>; dbx is missing in some logs), or that every
/// EV_EFI_VARIABLE_DRIVER_CONFIG measurement of it on PCR 7 has an allowed digest.
/// </summary>
public sealed class VariableExpectation
{
    private VariableExpectation(bool absent, AllowedDigests? allowed)
    {
        IsAbsent = absent;
        Allowed = allowed;
    }

    /// <summary>True when the log must not measure the variable.</summary>
    public bool IsAbsent { get; }

    /// <summary>The allowed digests of its measurements; null when <see cref="IsAbsent"/>.</summary>
    public AllowedDigests? Allowed { get; }

    /// <summary>The variable must not be measured.</summary>
    public static VariableExpectation Absent() => new(true, null);

    /// <summary>Every measurement of the variable must have one of <paramref name="allowed"/>.</summary>
    public static VariableExpectation Measured(AllowedDigests allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        return new VariableExpectation(false, allowed);
    }
}
