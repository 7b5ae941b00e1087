namespace KcryptPush.Attestation.BootPolicy;

/// <summary>Stable names of the measured-boot policy rules, as they appear in results and JSON.</summary>
public static class BootPolicyRules
{
    /// <summary>The log carries every bank the policy checks.</summary>
    public const string Banks = "banks";

    /// <summary>The SecureBoot variable shows the expected state, and its digest covers its data.</summary>
    public const string SecureBootState = "secure-boot-state";

    /// <summary>PK measurement digests.</summary>
    public const string PK = "pk";

    /// <summary>KEK measurement digests.</summary>
    public const string KEK = "kek";

    /// <summary>db measurement digests.</summary>
    public const string Db = "db";

    /// <summary>dbx measurement digests (or its absence).</summary>
    public const string Dbx = "dbx";

    /// <summary>A boot application's digest is allowed for its stage.</summary>
    public const string BootApplication = "boot-application";

    /// <summary>The log has more boot applications than the policy has stages.</summary>
    public const string BootApplicationExtraStage = "boot-application-extra-stage";

    /// <summary>The log has fewer boot applications than the policy has stages.</summary>
    public const string BootApplicationMissingStage = "boot-application-missing-stage";

    /// <summary>Each kernel command line has an allowed digest (or there is none, when absent); one is there when expected.</summary>
    public const string KernelCommandLine = "kernel-command-line";

    /// <summary>Each event on a pinned boot-configuration PCR has a digest allowed for that PCR.</summary>
    public const string BootConfig = "boot-config";

    /// <summary>A boot-configuration PCR that must carry events has none.</summary>
    public const string BootConfigMissing = "boot-config-missing";

    /// <summary>EV_IPL digests on the listed PCRs are allowed.</summary>
    public const string Ipl = "ipl";

    /// <summary>The separators of each PCR are the expected ones.</summary>
    public const string Separator = "separator";
}
