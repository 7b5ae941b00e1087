namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// One stage of the boot chain: the <see cref="Stage"/>-th EV_EFI_BOOT_SERVICES_APPLICATION on
/// PCR 4 in log order (0 = first, e.g. shim or a firmware application; then grub, the kernel...).
/// The digest of an image load is the Authenticode (PE/COFF) hash of the image (PFP §10.4.4
/// UEFI_IMAGE_LOAD_EVENT), so it names the binary, not where it was loaded from.
/// </summary>
/// <param name="Stage">Position among the boot applications, from 0.</param>
/// <param name="Path">The device path of the known-good log, for readers only; not checked.</param>
/// <param name="Allowed">The digests this stage may have.</param>
public sealed record BootStage(int Stage, string? Path, AllowedDigests Allowed);
