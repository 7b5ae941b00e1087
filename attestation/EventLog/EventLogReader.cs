using System.Buffers.Binary;

namespace KcryptPush.Attestation.EventLog;

/// <summary>
/// Little-endian reader over a TCG PC Client event log (TCG PC Client Platform Firmware Profile
/// §10 "Event Logging": all log fields are little-endian, unlike TPM 2.0 wire structures, so this
/// reader is separate from the big-endian TPM reader). Every read checks the remaining length
/// first and throws <see cref="EventLogFormatException"/> with the absolute byte offset; a failed
/// read does not move the position.
/// </summary>
public ref struct EventLogReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly long _baseOffset;
    private int _position;

    /// <summary>Reads <paramref name="buffer"/>; <paramref name="baseOffset"/> is the offset of its
    /// first byte in the whole log, so that nested readers report absolute offsets.</summary>
    public EventLogReader(ReadOnlySpan<byte> buffer, long baseOffset = 0)
    {
        _buffer = buffer;
        _baseOffset = baseOffset;
        _position = 0;
    }

    /// <summary>Position within this reader's buffer.</summary>
    public readonly int Position => _position;

    /// <summary>Absolute offset in the log of the next byte.</summary>
    public readonly long Offset => _baseOffset + _position;

    /// <summary>Bytes not yet read.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>True when every byte has been read.</summary>
    public readonly bool IsAtEnd => _position >= _buffer.Length;

    /// <summary>Creates (does not throw) an <see cref="EventLogFormatException"/> at the current offset.</summary>
    public readonly EventLogFormatException Error(string expected) => new(Offset, expected);

    private readonly void Need(int count, string what)
    {
        if (count < 0 || count > Remaining)
        {
            throw Error($"{what} ({count} bytes, {Remaining} remain)");
        }
    }

    /// <summary>Reads one byte.</summary>
    public byte ReadUInt8(string what)
    {
        Need(1, what);
        return _buffer[_position++];
    }

    /// <summary>Reads a little-endian UINT16.</summary>
    public ushort ReadUInt16(string what)
    {
        Need(2, what);
        ushort v = BinaryPrimitives.ReadUInt16LittleEndian(_buffer.Slice(_position));
        _position += 2;
        return v;
    }

    /// <summary>Reads a little-endian UINT32.</summary>
    public uint ReadUInt32(string what)
    {
        Need(4, what);
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.Slice(_position));
        _position += 4;
        return v;
    }

    /// <summary>Reads a little-endian UINT64.</summary>
    public ulong ReadUInt64(string what)
    {
        Need(8, what);
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(_buffer.Slice(_position));
        _position += 8;
        return v;
    }

    /// <summary>Reads <paramref name="count"/> bytes without copying.</summary>
    public ReadOnlySpan<byte> ReadBytes(int count, string what)
    {
        Need(count, what);
        ReadOnlySpan<byte> s = _buffer.Slice(_position, count);
        _position += count;
        return s;
    }

    /// <summary>Reads a byte count declared as UINT32 (or UINT64) in the log, checking it against
    /// <paramref name="cap"/> and the remaining bytes before anything is sliced or allocated.</summary>
    public readonly int CheckLength(ulong declared, int cap, string what)
    {
        if (declared > (ulong)cap)
        {
            throw Error($"{what} <= {cap} bytes, got {declared}");
        }
        if (declared > (ulong)Remaining)
        {
            throw Error($"{what} of {declared} bytes within the {Remaining} remaining");
        }
        return (int)declared;
    }

    /// <summary>Reads a GUID in the mixed-endian EFI_GUID layout (UEFI spec Appendix A: Data1-3
    /// little-endian, Data4 as bytes), which is the order <see cref="Guid(ReadOnlySpan{byte})"/>
    /// expects.</summary>
    public Guid ReadGuid(string what) => new(ReadBytes(16, what));

    /// <summary>Skips <paramref name="count"/> bytes.</summary>
    public void Skip(int count, string what) => ReadBytes(count, what);
}
