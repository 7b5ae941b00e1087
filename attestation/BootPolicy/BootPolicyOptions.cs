namespace KcryptPush.Attestation.BootPolicy;

/// <summary>Choices when making a policy from a known-good log.</summary>
public sealed record BootPolicyOptions
{
    /// <summary>Banks to record (TPM_ALG_IDs); null: <see cref="PolicyBanks.Preferred"/>. Banks the log does not carry are refused.</summary>
    public IReadOnlyList<ushort>? Banks { get; init; }

    /// <summary>PCRs whose events (boot loader commands and files, UKI sections, credentials, MOK state) are pinned
    /// PCR by PCR, with the kernel command line; empty: neither is pinned.</summary>
    public IReadOnlyList<int> BootConfigPcrs { get; init; } = BootConfigExpectation.DefaultPcrs;

    /// <summary>Also write the older single EV_IPL set over <see cref="IplPcrs"/>. Off by default:
    /// <see cref="BootConfigPcrs"/> pins the same events per PCR.</summary>
    public bool IncludeIpl { get; init; }

    /// <summary>PCRs whose EV_IPL events are pinned when <see cref="IncludeIpl"/> is set.</summary>
    public IReadOnlyList<int> IplPcrs { get; init; } = IplExpectation.DefaultPcrs;
}
