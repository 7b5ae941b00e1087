using System.Buffers.Binary;
using System.Globalization;

namespace KcryptPush.Attestation.EventLog.Decoding;

/// <summary>
/// Decodes the data of an <see cref="UntrustedEvent"/> according to its type (PFP §10.4.4
/// "Event Data" structures). Separate from parsing: a malformed body gives an
/// <see cref="UndecodableEvent"/> with the reason; this never throws for any input.
/// </summary>
public static class EventDecoder
{
    /// <summary>Decodes one event.</summary>
    public static DecodedEvent Decode(UntrustedEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        long dataOffset = e.Offset + e.Length - e.Data.Length;
        try
        {
            return DecodeBody(e, dataOffset);
        }
        catch (EventLogFormatException ex)
        {
            return new UndecodableEvent(ex.Message);
        }
    }

    private static DecodedEvent DecodeBody(UntrustedEvent e, long offset)
    {
        ReadOnlySpan<byte> data = e.Data.Span;
        switch (e.EventType)
        {
            case TcgEventType.EV_NO_ACTION:
                return DecodeNoAction(e, offset);
            case TcgEventType.EV_SEPARATOR:
                return DecodeSeparator(data, offset);
            case TcgEventType.EV_ACTION:
            case TcgEventType.EV_EFI_ACTION:
                return new TextEvent(EventText.Ascii(data), "ascii");
            case TcgEventType.EV_IPL:
            case TcgEventType.EV_S_CRTM_VERSION:
                return EventText.Guess(data);
            case TcgEventType.EV_POST_CODE:
            case TcgEventType.EV_S_CRTM_CONTENTS:
            case TcgEventType.EV_EFI_PLATFORM_FIRMWARE_BLOB:
                // UEFI_PLATFORM_FIRMWARE_BLOB {BlobBase UINT64, BlobLength UINT64}; POST code may be a string.
                return data.Length == 16
                    ? new FirmwareBlobEvent(BinaryPrimitives.ReadUInt64LittleEndian(data), BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(8)), null)
                    : EventText.Guess(data);
            case TcgEventType.EV_EFI_PLATFORM_FIRMWARE_BLOB2:
                return DecodeBlob2(data, offset);
            case TcgEventType.EV_EFI_HCRTM_EVENT:
                return new HcrtmEvent(EventText.Ascii(data));
            case TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG:
            case TcgEventType.EV_EFI_VARIABLE_BOOT:
            case TcgEventType.EV_EFI_VARIABLE_BOOT2:
            case TcgEventType.EV_EFI_VARIABLE_AUTHORITY:
                return DecodeVariable(e, offset);
            case TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION:
            case TcgEventType.EV_EFI_BOOT_SERVICES_DRIVER:
            case TcgEventType.EV_EFI_RUNTIME_SERVICES_DRIVER:
                return DecodeImageLoad(data, offset);
            case TcgEventType.EV_EFI_GPT_EVENT:
                return DecodeGpt(data, offset);
            default:
                return new RawEvent(data.Length, EventText.HexPreview(data));
        }
    }

    private static DecodedEvent DecodeNoAction(UntrustedEvent e, long offset)
    {
        ReadOnlySpan<byte> data = e.Data.Span;
        if (e.Index == 0 && data.StartsWith(SpecIdEvent.Signature))
        {
            return new SpecIdDecoded(EventLogParser.ParseSpecId(data, offset));
        }
        if (StartupLocality.TryRead(e, out byte locality))
        {
            return new StartupLocalityEvent(locality);
        }
        if (data.StartsWith("SP800-155 Event3"u8))
        {
            return DecodeSp800155(e.Data, offset);
        }
        return new NoActionEvent(EventText.Ascii(data.Slice(0, Math.Min(16, data.Length))), data.Length);
    }

    /// <summary>EV_SEPARATOR data: UINT32 0 (normal), 1 or 0xFFFFFFFF (error), or "WBCL" (Windows).</summary>
    private static DecodedEvent DecodeSeparator(ReadOnlySpan<byte> data, long offset)
    {
        if (data.Length != 4)
        {
            throw new EventLogFormatException(offset, $"EV_SEPARATOR data of 4 bytes, got {data.Length}");
        }
        string hex = Convert.ToHexStringLower(data);
        if (data.SequenceEqual("WBCL"u8))
        {
            return new SeparatorEvent(hex, "windows (WBCL)");
        }
        return BinaryPrimitives.ReadUInt32LittleEndian(data) switch
        {
            0 => new SeparatorEvent(hex, "normal"),
            1 or 0xFFFFFFFF => new SeparatorEvent(hex, "error"),
            _ => new SeparatorEvent(hex, "unknown"),
        };
    }

    /// <summary>UEFI_PLATFORM_FIRMWARE_BLOB2: BlobDescriptionSize UINT8, description, BlobBase, BlobLength.</summary>
    private static FirmwareBlobEvent DecodeBlob2(ReadOnlySpan<byte> data, long offset)
    {
        var r = new EventLogReader(data, offset);
        byte size = r.ReadUInt8("UEFI_PLATFORM_FIRMWARE_BLOB2.BlobDescriptionSize");
        string description = EventText.Ascii(r.ReadBytes(size, "UEFI_PLATFORM_FIRMWARE_BLOB2.BlobDescription"));
        ulong b = r.ReadUInt64("UEFI_PLATFORM_FIRMWARE_BLOB2.BlobBase");
        ulong l = r.ReadUInt64("UEFI_PLATFORM_FIRMWARE_BLOB2.BlobLength");
        return new FirmwareBlobEvent(b, l, description);
    }

    private static EfiVariableEvent DecodeVariable(UntrustedEvent e, long offset)
    {
        UefiVariableData v = UefiVariableData.Parse(e.Data, offset);
        SecureBootVariable known = SecureBootVariables.Recognize(v.VendorGuid, v.Name);
        long valueOffset = offset + e.Data.Length - v.Data.Length;
        ReadOnlySpan<byte> value = v.Data.Span;

        if (known == SecureBootVariable.SecureBoot)
        {
            string state = value.Length == 0 ? "(no data)"
                : value.Length == 1 ? (value[0] == 1 ? "enabled" : value[0] == 0 ? "disabled" : $"value {value[0]}")
                : $"{value.Length} bytes";
            return new EfiVariableEvent(v, known, null, state);
        }
        if (SecureBootVariables.HoldsSignatureLists(known) && e.EventType == TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG)
        {
            try
            {
                return new EfiVariableEvent(v, known, EfiSignatureList.ParseAll(v.Data, valueOffset), null);
            }
            catch (EventLogFormatException ex)
            {
                return new EfiVariableEvent(v, known, null, $"signature lists do not parse: {ex.Message}");
            }
        }
        if (e.EventType == TcgEventType.EV_EFI_VARIABLE_AUTHORITY && value.Length >= 16)
        {
            // The authority that verified an image: one EFI_SIGNATURE_DATA (owner GUID + certificate or hash).
            return new EfiVariableEvent(v, known, null,
                $"EFI_SIGNATURE_DATA owner {new Guid(value.Slice(0, 16))}, {value.Length - 16} bytes");
        }
        if (v.VendorGuid == KnownGuids.EfiGlobalVariable && v.Name == "BootOrder")
        {
            var order = new List<string>(value.Length / 2);
            for (int i = 0; i + 1 < value.Length; i += 2)
            {
                order.Add(BinaryPrimitives.ReadUInt16LittleEndian(value.Slice(i)).ToString("X4", CultureInfo.InvariantCulture));
            }
            return new EfiVariableEvent(v, known, null, string.Join(",", order));
        }
        if (v.VendorGuid == KnownGuids.EfiGlobalVariable && v.Name.Length == 8 && v.Name.StartsWith("Boot", StringComparison.Ordinal))
        {
            return new EfiVariableEvent(v, known, null, DescribeLoadOption(value, valueOffset));
        }
        return new EfiVariableEvent(v, known, null, null);
    }

    /// <summary>EFI_LOAD_OPTION (UEFI spec §3.1.3): Attributes UINT32, FilePathListLength UINT16,
    /// Description CHAR16[] NUL-terminated, FilePathList, OptionalData.</summary>
    private static string DescribeLoadOption(ReadOnlySpan<byte> value, long offset)
    {
        try
        {
            var r = new EventLogReader(value, offset);
            uint attributes = r.ReadUInt32("EFI_LOAD_OPTION.Attributes");
            ushort pathLength = r.ReadUInt16("EFI_LOAD_OPTION.FilePathListLength");
            int chars = 0;
            ReadOnlySpan<byte> rest = value.Slice(r.Position);
            while (2 * chars + 1 < rest.Length && (rest[2 * chars] != 0 || rest[2 * chars + 1] != 0))
            {
                chars++;
            }
            string description = EventText.Utf16(r.ReadBytes(chars * 2, "EFI_LOAD_OPTION.Description"));
            r.Skip(2, "EFI_LOAD_OPTION.Description NUL");
            long pathOffset = r.Offset;
            string path = DevicePathText.Format(r.ReadBytes(pathLength, "EFI_LOAD_OPTION.FilePathList"), pathOffset);
            return string.Create(CultureInfo.InvariantCulture, $"\"{description}\" {path} (attributes 0x{attributes:x})");
        }
        catch (EventLogFormatException ex)
        {
            return $"load option does not parse: {ex.Message}";
        }
    }

    /// <summary>UEFI_IMAGE_LOAD_EVENT: ImageLocationInMemory, ImageLengthInMemory, ImageLinkTimeAddress,
    /// LengthOfDevicePath (all UINTN = UINT64 on 64-bit firmware), DevicePath.</summary>
    private static ImageLoadEvent DecodeImageLoad(ReadOnlySpan<byte> data, long offset)
    {
        var r = new EventLogReader(data, offset);
        ulong location = r.ReadUInt64("UEFI_IMAGE_LOAD_EVENT.ImageLocationInMemory");
        ulong length = r.ReadUInt64("UEFI_IMAGE_LOAD_EVENT.ImageLengthInMemory");
        ulong link = r.ReadUInt64("UEFI_IMAGE_LOAD_EVENT.ImageLinkTimeAddress");
        ulong pathLength = r.ReadUInt64("UEFI_IMAGE_LOAD_EVENT.LengthOfDevicePath");
        int n = r.CheckLength(pathLength, int.MaxValue, "UEFI_IMAGE_LOAD_EVENT.DevicePath");
        long pathOffset = r.Offset;
        string path = DevicePathText.Format(r.ReadBytes(n, "UEFI_IMAGE_LOAD_EVENT.DevicePath"), pathOffset);
        return new ImageLoadEvent(location, length, link, path);
    }

    /// <summary>UEFI_GPT_DATA: EFI_PARTITION_TABLE_HEADER (92 bytes, UEFI spec §5.3.2),
    /// NumberOfPartitions UINT64, then that many entries of SizeOfPartitionEntry bytes (§5.3.3).</summary>
    private static GptEvent DecodeGpt(ReadOnlySpan<byte> data, long offset)
    {
        var r = new EventLogReader(data, offset);
        if (!r.ReadBytes(8, "EFI_PARTITION_TABLE_HEADER.Signature").SequenceEqual("EFI PART"u8))
        {
            throw new EventLogFormatException(offset, "GPT header signature \"EFI PART\"");
        }
        r.Skip(4 + 4 + 4 + 4 + 8 + 8 + 8 + 8, "EFI_PARTITION_TABLE_HEADER fields");
        Guid disk = r.ReadGuid("EFI_PARTITION_TABLE_HEADER.DiskGUID");
        r.Skip(8 + 4, "EFI_PARTITION_TABLE_HEADER.PartitionEntryLBA, NumberOfPartitionEntries");
        uint entrySize = r.ReadUInt32("EFI_PARTITION_TABLE_HEADER.SizeOfPartitionEntry");
        r.Skip(4, "EFI_PARTITION_TABLE_HEADER.PartitionEntryArrayCRC32");
        ulong count = r.ReadUInt64("UEFI_GPT_DATA.NumberOfPartitions");
        if (entrySize < 128)
        {
            throw r.Error($"SizeOfPartitionEntry >= 128, got {entrySize}");
        }
        if (count > (ulong)r.Remaining / entrySize)
        {
            throw r.Error($"{count} partition entries of {entrySize} bytes within the {r.Remaining} remaining");
        }
        var partitions = new List<GptPartition>((int)count);
        for (ulong i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> p = r.ReadBytes((int)entrySize, "EFI_PARTITION_ENTRY");
            partitions.Add(new GptPartition(
                new Guid(p.Slice(0, 16)), new Guid(p.Slice(16, 16)),
                BinaryPrimitives.ReadUInt64LittleEndian(p.Slice(32)), BinaryPrimitives.ReadUInt64LittleEndian(p.Slice(40)),
                BinaryPrimitives.ReadUInt64LittleEndian(p.Slice(48)), EventText.Utf16(p.Slice(56, 72))));
        }
        return new GptEvent(disk, count, partitions);
    }

    /// <summary>SP800-155 Event3 (PFP §10.4.5.4): signature[16], PlatformManufacturerId UINT32,
    /// ReferenceManifestGuid, u8-prefixed PlatformManufacturerStr, PlatformModel, PlatformVersion,
    /// FirmwareManufacturerStr, FirmwareManufacturerId UINT32, u8-prefixed FirmwareVersion,
    /// RIMLocatorType UINT32 + UINT32-prefixed RIMLocator, PlatformCertLocatorType UINT32 + UINT32-prefixed locator.</summary>
    private static Sp800155Event3 DecodeSp800155(ReadOnlyMemory<byte> memory, long offset)
    {
        var r = new EventLogReader(memory.Span, offset);
        r.Skip(16, "SP800-155 Event3 signature");
        uint manufacturerId = r.ReadUInt32("PlatformManufacturerId");
        Guid rim = r.ReadGuid("ReferenceManifestGuid");
        string manufacturer = EventText.Ascii(r.ReadBytes(r.ReadUInt8("PlatformManufacturerStrSize"), "PlatformManufacturerStr"));
        string model = EventText.Ascii(r.ReadBytes(r.ReadUInt8("PlatformModelSize"), "PlatformModel"));
        string version = EventText.Ascii(r.ReadBytes(r.ReadUInt8("PlatformVersionSize"), "PlatformVersion"));
        string fwManufacturer = EventText.Ascii(r.ReadBytes(r.ReadUInt8("FirmwareManufacturerStrSize"), "FirmwareManufacturerStr"));
        uint fwManufacturerId = r.ReadUInt32("FirmwareManufacturerId");
        string fwVersion = EventText.Ascii(r.ReadBytes(r.ReadUInt8("FirmwareVersionSize"), "FirmwareVersion"));
        uint rimType = r.ReadUInt32("RIMLocatorType");
        int rimLength = r.CheckLength(r.ReadUInt32("RIMLocatorLength"), int.MaxValue, "RIMLocator");
        int rimStart = r.Position;
        r.Skip(rimLength, "RIMLocator");
        uint certType = r.ReadUInt32("PlatformCertLocatorType");
        int certLength = r.CheckLength(r.ReadUInt32("PlatformCertLocatorLength"), int.MaxValue, "PlatformCertLocator");
        int certStart = r.Position;
        r.Skip(certLength, "PlatformCertLocator");
        return new Sp800155Event3(manufacturerId, rim, manufacturer, model, version, fwManufacturer, fwManufacturerId,
            fwVersion, rimType, memory.Slice(rimStart, rimLength), certType, memory.Slice(certStart, certLength));
    }
}
