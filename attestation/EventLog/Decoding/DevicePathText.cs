using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace KcryptPush.Attestation.EventLog.Decoding;

/// <summary>
/// Renders an EFI_DEVICE_PATH_PROTOCOL (UEFI spec §10.3: nodes of Type UINT8, SubType UINT8,
/// Length UINT16 including the 4-byte header, ending with 0x7F/0xFF) as text in the style of the
/// UEFI device path text representation (§10.6): PciRoot(0x0)/Pci(0x1,0x1)/HD(...)/\EFI\BOOT\BOOTX64.EFI.
/// Common nodes are named; others print as Path(type,subtype,hex).
/// </summary>
public static class DevicePathText
{
    /// <summary>Most nodes rendered; longer paths are cut with "...".</summary>
    public const int MaxNodes = 64;

    /// <summary>Renders <paramref name="path"/>, which starts at <paramref name="baseOffset"/> in the log.</summary>
    /// <exception cref="EventLogFormatException">A node length is below 4 or runs past the path.</exception>
    public static string Format(ReadOnlySpan<byte> path, long baseOffset)
    {
        var r = new EventLogReader(path, baseOffset);
        var sb = new StringBuilder();
        int nodes = 0;
        while (!r.IsAtEnd)
        {
            byte type = r.ReadUInt8("EFI_DEVICE_PATH_PROTOCOL.Type");
            byte subType = r.ReadUInt8("EFI_DEVICE_PATH_PROTOCOL.SubType");
            ushort length = r.ReadUInt16("EFI_DEVICE_PATH_PROTOCOL.Length");
            if (length < 4)
            {
                throw new EventLogFormatException(r.Offset - 2, $"device path node Length >= 4, got {length}");
            }
            ReadOnlySpan<byte> body = r.ReadBytes(length - 4, "device path node data");
            if (type == 0x7F)
            {
                if (subType == 0xFF) break;          // End Entire Device Path
                sb.Append(',');                      // End This Instance
                continue;
            }
            if (++nodes > MaxNodes)
            {
                sb.Append("/...");
                break;
            }
            if (sb.Length > 0 && sb[^1] != ',') sb.Append('/');
            sb.Append(Node(type, subType, body));
        }
        return sb.Length == 0 ? "(empty device path)" : sb.ToString();
    }

    private static string Node(byte type, byte subType, ReadOnlySpan<byte> d)
    {
        var ci = CultureInfo.InvariantCulture;
        switch (type, subType)
        {
            case (1, 1) when d.Length >= 2: return string.Create(ci, $"Pci(0x{d[1]:x},0x{d[0]:x})");
            case (1, 3) when d.Length >= 20:
                return string.Create(ci, $"MemoryMapped(0x{U32(d, 0):x},0x{U64(d, 4):x},0x{U64(d, 12):x})");
            case (1, 4) when d.Length >= 16: return $"VenHw({Guid(d)}{Tail(d, 16)})";
            case (1, 5) when d.Length >= 4: return string.Create(ci, $"Ctrl(0x{U32(d, 0):x})");
            case (2, 1) when d.Length >= 8:
                {
                    uint hid = U32(d, 0), uid = U32(d, 4);
                    return hid switch
                    {
                        0x0A0341D0 => string.Create(ci, $"PciRoot(0x{uid:x})"),
                        0x0A0841D0 => string.Create(ci, $"PcieRoot(0x{uid:x})"),
                        _ => string.Create(ci, $"Acpi(0x{hid:x8},0x{uid:x})"),
                    };
                }
            case (3, 1) when d.Length >= 4: return string.Create(ci, $"Ata({d[0]},{d[1]},{U16(d, 2)})");
            case (3, 2) when d.Length >= 4: return string.Create(ci, $"Scsi(0x{U16(d, 0):x},0x{U16(d, 2):x})");
            case (3, 5) when d.Length >= 2: return string.Create(ci, $"USB(0x{d[0]:x},0x{d[1]:x})");
            case (3, 10) when d.Length >= 16: return $"VenMsg({Guid(d)}{Tail(d, 16)})";
            case (3, 11) when d.Length >= 33: return $"MAC({Convert.ToHexStringLower(d.Slice(0, 6))},0x{d[32]:x})";
            case (3, 12): return "IPv4(...)";
            case (3, 13): return "IPv6(...)";
            case (3, 18) when d.Length >= 6: return string.Create(ci, $"Sata(0x{U16(d, 0):x},0x{U16(d, 2):x},0x{U16(d, 4):x})");
            case (3, 23) when d.Length >= 12:
                return string.Create(ci, $"NVMe(0x{U32(d, 0):x},{BitConverter.ToString(d.Slice(4, 8).ToArray())})");
            case (3, 24): return $"Uri({EventText.Ascii(d)})";
            case (3, 26) when d.Length >= 1: return string.Create(ci, $"SD(0x{d[0]:x})");
            case (3, 29) when d.Length >= 1: return string.Create(ci, $"eMMC(0x{d[0]:x})");
            case (4, 1) when d.Length >= 38:
                {
                    uint number = U32(d, 0);
                    ulong start = U64(d, 4), size = U64(d, 12);
                    ReadOnlySpan<byte> sig = d.Slice(20, 16);
                    byte sigType = d[37];
                    string signature = sigType switch
                    {
                        1 => string.Create(ci, $"MBR,0x{U32(sig, 0):x8}"),
                        2 => $"GPT,{new Guid(sig)}",
                        _ => string.Create(ci, $"0x{sigType:x},{Convert.ToHexStringLower(sig)}"),
                    };
                    return string.Create(ci, $"HD({number},{signature},0x{start:x},0x{size:x})");
                }
            case (4, 2) when d.Length >= 20: return string.Create(ci, $"CDROM(0x{U32(d, 0):x},0x{U64(d, 4):x},0x{U64(d, 12):x})");
            case (4, 3) when d.Length >= 16: return $"VenMedia({Guid(d)}{Tail(d, 16)})";
            case (4, 4): return EventText.Utf16(d);
            case (4, 5) when d.Length >= 16: return $"Media({Guid(d)})";
            case (4, 6) when d.Length >= 16: return $"FvFile({Guid(d)})";
            case (4, 7) when d.Length >= 16: return $"Fv({Guid(d)})";
            case (4, 8) when d.Length >= 20: return string.Create(ci, $"Offset(0x{U64(d, 4):x},0x{U64(d, 12):x})");
            case (5, 1) when d.Length >= 4:
                return string.Create(ci, $"BBS(0x{U16(d, 0):x},{EventText.Ascii(d.Slice(4))},0x{U16(d, 2):x})");
            default:
                return string.Create(ci, $"Path({type},{subType},{Convert.ToHexStringLower(d.Slice(0, Math.Min(d.Length, 64)))})");
        }
    }

    private static ushort U16(ReadOnlySpan<byte> d, int at) => BinaryPrimitives.ReadUInt16LittleEndian(d.Slice(at));
    private static uint U32(ReadOnlySpan<byte> d, int at) => BinaryPrimitives.ReadUInt32LittleEndian(d.Slice(at));
    private static ulong U64(ReadOnlySpan<byte> d, int at) => BinaryPrimitives.ReadUInt64LittleEndian(d.Slice(at));
    private static string Guid(ReadOnlySpan<byte> d) => KnownGuids.Describe(new Guid(d.Slice(0, 16)));
    private static string Tail(ReadOnlySpan<byte> d, int from) =>
        d.Length > from ? "," + Convert.ToHexStringLower(d.Slice(from, Math.Min(d.Length - from, 32))) : "";
}
