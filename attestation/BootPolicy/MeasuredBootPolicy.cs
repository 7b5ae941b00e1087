using KcryptPush.Attestation.EventLog.Decoding;

namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// A measured-boot policy: what a node's parsed boot event log must show beyond PCR values
/// (Secure Boot state, the Secure Boot databases, the boot chain, the kernel command line and what the
/// boot loader and stub measure). Made from a known-good log by
/// <see cref="BootPolicyFactory"/>, stored as JSON by <see cref="BootPolicyJson"/>, applied by
/// <see cref="BootPolicyEvaluator"/>. Each part is optional: a part left out (null) is not checked,
/// as an omitted value in the PCR policy is skipped.
/// Digests are compared in every bank of <see cref="Banks"/>; they are the logged digests, which
/// replay binds to the quoted PCRs, so a policy is only as good as the replay before it.
/// </summary>
public sealed class MeasuredBootPolicy
{
    /// <summary>The policy format this code reads and writes.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The SecureBoot-related variables a policy can pin: PK, KEK, db, dbx.</summary>
    public static IReadOnlyList<SecureBootVariable> PinnableVariables { get; } =
        [SecureBootVariable.PK, SecureBootVariable.KEK, SecureBootVariable.Db, SecureBootVariable.Dbx];

    /// <summary>Format version; always <see cref="CurrentVersion"/> once loaded.</summary>
    public int Version { get; init; } = CurrentVersion;

    /// <summary>TPM_ALG_IDs of the banks whose digests are checked; at least one.</summary>
    public required IReadOnlyList<ushort> Banks { get; init; }

    /// <summary>The Secure Boot state the log must show; null: not checked.</summary>
    public SecureBootState? SecureBoot { get; init; }

    /// <summary>Expectations for PK, KEK, db, dbx; a variable without an entry is not checked.</summary>
    public IReadOnlyDictionary<SecureBootVariable, VariableExpectation> Variables { get; init; } =
        new Dictionary<SecureBootVariable, VariableExpectation>();

    /// <summary>The boot chain, stage by stage; null: not checked; empty: no boot application may run.</summary>
    public IReadOnlyList<BootStage>? BootApplications { get; init; }

    /// <summary>The kernel command line (GRUB on PCR 8, systemd-boot/stub on PCR 12); null: not checked.</summary>
    public KernelCommandLineExpectation? KernelCommandLine { get; init; }

    /// <summary>What decides what runs, PCR by PCR (boot loader commands and files, UKI sections, credentials,
    /// MOK state); null: not checked.</summary>
    public IReadOnlyList<BootConfigExpectation>? BootConfig { get; init; }

    /// <summary>Allowed EV_IPL digests as one set over several PCRs (the older, looser form of
    /// <see cref="BootConfig"/>); null (the default): not checked.</summary>
    public IplExpectation? Ipl { get; init; }

    /// <summary>The separators of each PCR in log order; null: not checked.</summary>
    public IReadOnlyList<SeparatorExpectation>? Separators { get; init; }
}
