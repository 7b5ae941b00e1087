namespace KcryptPush.Contracts.V1;

/// <summary>The first event of the measured-boot log that breaks replay or policy.</summary>
/// <param name="Index">0-based record number in the log (the Spec ID header record counts).</param>
/// <param name="Pcr">The PCR the event extends.</param>
/// <param name="EventType">The TCG event type name (e.g. <c>EV_EFI_BOOT_SERVICES_APPLICATION</c>).</param>
/// <param name="Description">What the event is (decoded, e.g. the image's device path) and what is wrong with it.</param>
public sealed record BrokenEvent(int Index, uint Pcr, string EventType, string Description);
