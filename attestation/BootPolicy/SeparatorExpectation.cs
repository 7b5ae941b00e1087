namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// One expected EV_SEPARATOR (PFP §10.4.4: the end of pre-OS measurements on a PCR; data
/// 00000000 normally, 00000001/FFFFFFFF on error, "WBCL" on Windows PCRs 12-14). The separators
/// of each PCR are compared in log order by their digests.
/// </summary>
/// <param name="Pcr">The PCR index.</param>
/// <param name="Value">The separator data of the known-good log as hex, for readers; the digests are what is checked.</param>
/// <param name="Allowed">The digests the separator may have.</param>
public sealed record SeparatorExpectation(uint Pcr, string? Value, AllowedDigests Allowed);
