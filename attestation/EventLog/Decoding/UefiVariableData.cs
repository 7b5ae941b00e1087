namespace KcryptPush.Attestation.EventLog.Decoding;

/// <summary>
/// UEFI_VARIABLE_DATA (PFP §10.4.6 / UEFI TCG2 spec): VariableName EFI_GUID (mixed-endian),
/// UnicodeNameLength UINT64 (in CHARACTERS, no NUL), VariableDataLength UINT64 (may be 0, e.g. an
/// empty SecureBoot), UnicodeName CHAR16[], VariableData. UNTRUSTED, from the log.
/// </summary>
/// <param name="VendorGuid">The variable's vendor GUID.</param>
/// <param name="Name">The variable name.</param>
/// <param name="Data">VariableData.</param>
public sealed record UefiVariableData(Guid VendorGuid, string Name, ReadOnlyMemory<byte> Data)
{
    /// <summary>Parses the structure from event data starting at <paramref name="baseOffset"/> in the log.</summary>
    /// <exception cref="EventLogFormatException">The structure is malformed.</exception>
    public static UefiVariableData Parse(ReadOnlyMemory<byte> eventData, long baseOffset)
    {
        var r = new EventLogReader(eventData.Span, baseOffset);
        Guid guid = r.ReadGuid("UEFI_VARIABLE_DATA.VariableName (GUID)");
        ulong nameChars = r.ReadUInt64("UEFI_VARIABLE_DATA.UnicodeNameLength");
        ulong dataLength = r.ReadUInt64("UEFI_VARIABLE_DATA.VariableDataLength");
        if (nameChars > (ulong)r.Remaining / 2)
        {
            throw r.Error($"UnicodeName of {nameChars} characters within the {r.Remaining} remaining bytes");
        }
        string name = System.Text.Encoding.Unicode.GetString(r.ReadBytes((int)nameChars * 2, "UEFI_VARIABLE_DATA.UnicodeName"));
        int length = r.CheckLength(dataLength, int.MaxValue, "UEFI_VARIABLE_DATA.VariableData");
        int start = r.Position;
        r.Skip(length, "UEFI_VARIABLE_DATA.VariableData");
        return new UefiVariableData(guid, name, eventData.Slice(start, length));
    }

    /// <summary>The VariableData bytes of a well-formed structure (used to check digests), without allocating.</summary>
    public static bool TryGetVariableData(ReadOnlySpan<byte> eventData, out ReadOnlySpan<byte> variableData)
    {
        variableData = default;
        if (eventData.Length < 32)
        {
            return false;
        }
        ulong nameChars = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(eventData.Slice(16));
        ulong dataLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(eventData.Slice(24));
        ulong rest = (ulong)eventData.Length - 32;
        if (nameChars > rest / 2 || dataLength > rest - nameChars * 2)
        {
            return false;
        }
        variableData = eventData.Slice(32 + (int)nameChars * 2, (int)dataLength);
        return true;
    }
}
