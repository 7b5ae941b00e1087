namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// Optional check of EV_IPL events (PFP §10.4.1: what the boot loader measures: grub commands,
/// kernel command line, initrd on PCR 8 and 9): every EV_IPL on one of <see cref="Pcrs"/> must
/// have an allowed digest. A set, not a sequence: order and count are left to replay of the
/// quoted PCRs. Off unless asked for, because it changes with every kernel command line edit.
/// </summary>
/// <param name="Pcrs">PCRs whose EV_IPL events are checked (default 8 and 9).</param>
/// <param name="Allowed">Digests an EV_IPL event may have.</param>
public sealed record IplExpectation(IReadOnlyList<int> Pcrs, AllowedDigests Allowed)
{
    /// <summary>The PCRs checked unless told otherwise: 8 (grub commands, kernel command line) and 9 (files read by grub).</summary>
    public static IReadOnlyList<int> DefaultPcrs { get; } = [8, 9];
}
