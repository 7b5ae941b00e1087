using System.Buffers.Binary;

namespace KcryptPush.Tpm.Marshalling;

/// <summary>
/// Reads TPM 2.0 wire data (TPM 2.0 Part 2 §4 "Base types", big-endian) from a span.
/// Every read checks the remaining length first and throws <see cref="TpmFormatException"/>
/// with the offset and the expected item; a failed read does not move <see cref="Position"/>
/// (peek, then advance). Returned spans are slices of the input: nothing is allocated.
/// </summary>
public ref struct TpmReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _baseOffset;
    private int _position;

    /// <summary>Creates a reader over <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The bytes to read.</param>
    /// <param name="baseOffset">Offset of <paramref name="buffer"/> inside an outer buffer, added to
    /// reported offsets so errors in nested structures point into the outermost bytes.</param>
    public TpmReader(ReadOnlySpan<byte> buffer, int baseOffset = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(baseOffset);
        _buffer = buffer;
        _baseOffset = baseOffset;
        _position = 0;
    }

    /// <summary>Bytes consumed so far (relative to this reader's buffer).</summary>
    public readonly int Position => _position;

    /// <summary>Absolute offset of <see cref="Position"/>, including the base offset.</summary>
    public readonly int Offset => _baseOffset + _position;

    /// <summary>Bytes left to read.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>True when every byte has been consumed.</summary>
    public readonly bool IsAtEnd => _position == _buffer.Length;

    /// <summary>The bytes not yet read.</summary>
    public readonly ReadOnlySpan<byte> RemainingSpan => _buffer[_position..];

    /// <summary>The whole underlying buffer.</summary>
    public readonly ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>Reads a UINT8 (BYTE, TPMI_YES_NO, TPMA_SESSION...).</summary>
    public byte ReadUInt8(string what = "UINT8")
    {
        Require(1, what);
        return _buffer[_position++];
    }

    /// <summary>Reads a big-endian UINT16 (TPM_ALG_ID, TPM_ST, TPM2B sizes...).</summary>
    public ushort ReadUInt16(string what = "UINT16")
    {
        Require(2, what);
        ushort v = BinaryPrimitives.ReadUInt16BigEndian(_buffer.Slice(_position, 2));
        _position += 2;
        return v;
    }

    /// <summary>Reads a big-endian UINT32 (TPM_CC, TPM_HANDLE, TPMA_OBJECT...).</summary>
    public uint ReadUInt32(string what = "UINT32")
    {
        Require(4, what);
        uint v = BinaryPrimitives.ReadUInt32BigEndian(_buffer.Slice(_position, 4));
        _position += 4;
        return v;
    }

    /// <summary>Reads a big-endian INT32.</summary>
    public int ReadInt32(string what = "INT32") => unchecked((int)ReadUInt32(what));

    /// <summary>Reads a big-endian UINT64 (clock, firmwareVersion).</summary>
    public ulong ReadUInt64(string what = "UINT64")
    {
        Require(8, what);
        ulong v = BinaryPrimitives.ReadUInt64BigEndian(_buffer.Slice(_position, 8));
        _position += 8;
        return v;
    }

    /// <summary>Reads <paramref name="count"/> bytes as a slice of the input.</summary>
    public ReadOnlySpan<byte> ReadBytes(int count, string what = "bytes")
    {
        if (count < 0)
        {
            throw Fail($"{what} (non-negative length, got {count})");
        }

        Require(count, what);
        ReadOnlySpan<byte> s = _buffer.Slice(_position, count);
        _position += count;
        return s;
    }

    /// <summary>
    /// Reads a TPM2B (UINT16 size, then that many bytes; TPM 2.0 Part 2 §10.4) and returns the
    /// contents without the size. The size is checked against <paramref name="maxSize"/> and
    /// the remaining input before anything is sliced; on failure the position is unchanged.
    /// </summary>
    public ReadOnlySpan<byte> ReadTpm2b(string what = "TPM2B", int maxSize = ushort.MaxValue)
    {
        if (Remaining < 2)
        {
            throw Fail($"{what} size (2 bytes, only {Remaining} remain)");
        }

        int size = BinaryPrimitives.ReadUInt16BigEndian(_buffer.Slice(_position, 2));
        if (size > maxSize)
        {
            throw Fail($"{what} size <= {maxSize} (got {size})");
        }

        if (size > Remaining - 2)
        {
            throw Fail($"{what} of {size} bytes (only {Remaining - 2} remain after the size)");
        }

        ReadOnlySpan<byte> s = _buffer.Slice(_position + 2, size);
        _position += 2 + size;
        return s;
    }

    /// <summary>Returns the next UINT16 without consuming it.</summary>
    public readonly ushort PeekUInt16(string what = "UINT16")
    {
        Require(2, what);
        return BinaryPrimitives.ReadUInt16BigEndian(_buffer.Slice(_position, 2));
    }

    /// <summary>Skips <paramref name="count"/> bytes.</summary>
    public void Skip(int count, string what = "bytes") => ReadBytes(count, what);

    /// <summary>Throws unless every byte was consumed (no trailing data after <paramref name="what"/>).</summary>
    public readonly void EnsureAtEnd(string what)
    {
        if (!IsAtEnd)
        {
            throw Fail($"end of {what} ({Remaining} trailing bytes)");
        }
    }

    /// <summary>Creates (does not throw) a <see cref="TpmFormatException"/> at the current offset.</summary>
    public readonly TpmFormatException Fail(string expected) => new(Offset, expected);

    /// <summary>Creates a <see cref="TpmFormatException"/> at an earlier position of this reader.</summary>
    public readonly TpmFormatException FailAt(int position, string expected) => new(_baseOffset + position, expected);

    private readonly void Require(int count, string what)
    {
        if (count > _buffer.Length - _position)
        {
            throw Fail($"{what} ({count} bytes, only {_buffer.Length - _position} remain)");
        }
    }
}
