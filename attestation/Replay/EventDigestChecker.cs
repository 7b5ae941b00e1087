using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Replay;

/// <summary>
/// Recomputes the digest of events whose digest the PC Client PFP defines over the event data
/// (§10.4.1 and §10.4.4), and reports those that differ. Only for these types does re-hashing make
/// sense: EV_SEPARATOR, EV_ACTION and EV_EFI_ACTION (H(data));
/// EV_EFI_VARIABLE_DRIVER_CONFIG and EV_EFI_VARIABLE_AUTHORITY (H(whole UEFI_VARIABLE_DATA));
/// EV_EFI_VARIABLE_BOOT/BOOT2 (H(VariableData) per the PFP, or H(whole structure) as some firmware does:
/// either is accepted). Image loads and EV_IPL are not checked: their digest covers other bytes.
/// </summary>
public static class EventDigestChecker
{
    /// <summary>Checks every event of <paramref name="log"/> in every bank that can be hashed here.</summary>
    public static IReadOnlyList<DigestMismatch> Check(ParsedEventLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var mismatches = new List<DigestMismatch>();
        Span<byte> computed = stackalloc byte[TpmAlgorithms.MaxDigestSize];
        Span<byte> alternative = stackalloc byte[TpmAlgorithms.MaxDigestSize];
        foreach (UntrustedEvent e in log.UntrustedEvents)
        {
            bool variableBoot = e.EventType is TcgEventType.EV_EFI_VARIABLE_BOOT or TcgEventType.EV_EFI_VARIABLE_BOOT2;
            bool wholeData = e.EventType is TcgEventType.EV_SEPARATOR or TcgEventType.EV_ACTION or TcgEventType.EV_EFI_ACTION
                or TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG or TcgEventType.EV_EFI_VARIABLE_AUTHORITY;
            if (!wholeData && !variableBoot)
            {
                continue;
            }
            bool variable = variableBoot || e.EventType is TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG or TcgEventType.EV_EFI_VARIABLE_AUTHORITY;
            ReadOnlySpan<byte> variableData = default;
            bool hasVariableData = variable && UefiVariableData.TryGetVariableData(e.Data.Span, out variableData);

            foreach (UntrustedDigest d in e.Digests)
            {
                if (!TcgAlgorithms.IsComputable(d.AlgorithmId))
                {
                    continue;
                }
                int n = TcgAlgorithms.Hash(d.AlgorithmId, e.Data.Span, computed);
                if (computed.Slice(0, n).SequenceEqual(d.Digest.Span))
                {
                    continue;
                }
                string rule = variable ? "H(UEFI_VARIABLE_DATA)" : "H(event data)";
                if (hasVariableData)
                {
                    TcgAlgorithms.Hash(d.AlgorithmId, variableData, alternative);
                    bool dataOnly = alternative.Slice(0, n).SequenceEqual(d.Digest.Span);
                    if (variableBoot && dataOnly)
                    {
                        continue; // EV_EFI_VARIABLE_BOOT: either form is accepted
                    }
                    if (variableBoot)
                    {
                        alternative.Slice(0, n).CopyTo(computed);
                        rule = "H(VariableData) or H(UEFI_VARIABLE_DATA)";
                    }
                    else if (dataOnly)
                    {
                        // Firmware older than the PFP (e.g. TPM 1.2 era) hashed only VariableData.
                        rule = "H(UEFI_VARIABLE_DATA); the logged digest is H(VariableData)";
                    }
                }
                mismatches.Add(new DigestMismatch(e.Index, e.PcrIndex, e.TypeName, d.BankName, rule,
                    d.Digest.ToArray(), computed.Slice(0, n).ToArray()));
            }
        }
        return mismatches;
    }
}
