namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// What decides what runs after the firmware, one PCR at a time: the boot loader's and the stub's
/// measurements (GRUB's commands on PCR 8 and the files it reads on PCR 9; a UKI's PE sections on
/// PCR 11; systemd-boot's and systemd-stub's credentials and add-ons on PCR 12, system extensions on
/// PCR 13; shim's MokList, MokListX and MokSBState on PCR 14). Every event on <see cref="Pcr"/>
/// (except EV_NO_ACTION, EV_SEPARATOR and a recognised kernel command line, which have rules of their
/// own) must have an allowed digest; a set, not a sequence, since GRUB's command count varies with its
/// saved state. With <see cref="Required"/> the PCR must carry at least one such event: the
/// known-good log had some, so none now means they were not measured.
/// </summary>
/// <param name="Pcr">The PCR (0-23).</param>
/// <param name="Required">True when at least one event must be there.</param>
/// <param name="Allowed">The digests an event on <paramref name="Pcr"/> may have (empty lists: no event may be there).</param>
public sealed record BootConfigExpectation(int Pcr, bool Required, AllowedDigests Allowed)
{
    /// <summary>The PCRs a policy made from a log pins by default: 8, 9 (GRUB), 11 (UKI sections),
    /// 12 (systemd-boot/stub command line, credentials, add-ons), 13 (system extensions), 14 (shim's MOK state).</summary>
    public static IReadOnlyList<int> DefaultPcrs { get; } = [8, 9, 11, 12, 13, 14];
}
