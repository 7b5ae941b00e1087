using KcryptPush.Attestation.EventLog;

namespace KcryptPush.Attestation.BootPolicy;

/// <summary>Names a log event for an operator: its index, PCR, type and byte offset in the log.</summary>
/// <param name="Index">Record index (0 = first record).</param>
/// <param name="Pcr">Logged PCR index.</param>
/// <param name="Type">Event type name, e.g. "EV_EFI_BOOT_SERVICES_APPLICATION".</param>
/// <param name="Offset">Byte offset of the record in the log.</param>
public sealed record EventReference(int Index, uint Pcr, string Type, int Offset)
{
    /// <summary>The reference to <paramref name="e"/>.</summary>
    public static EventReference Of(UntrustedEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new EventReference(e.Index, e.PcrIndex, e.TypeName, e.Offset);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"event #{Index} (PCR {(Pcr < 24 ? Pcr.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"0x{Pcr:x}")}, {Type}, byte offset {Offset})";
}
