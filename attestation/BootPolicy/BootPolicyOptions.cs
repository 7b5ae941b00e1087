namespace KcryptPush.Attestation.BootPolicy;

/// <summary>Choices when making a policy from a known-good log.</summary>
public sealed record BootPolicyOptions
{
    /// <summary>Banks to record (TPM_ALG_IDs); null: <see cref="PolicyBanks.Preferred"/>. Banks the log does not carry are refused.</summary>
    public IReadOnlyList<ushort>? Banks { get; init; }

    /// <summary>Also pin EV_IPL digests (kernel command line, grub commands) on <see cref="IplPcrs"/>. Off by default.</summary>
    public bool IncludeIpl { get; init; }

    /// <summary>PCRs whose EV_IPL events are pinned when <see cref="IncludeIpl"/> is set.</summary>
    public IReadOnlyList<int> IplPcrs { get; init; } = IplExpectation.DefaultPcrs;
}
