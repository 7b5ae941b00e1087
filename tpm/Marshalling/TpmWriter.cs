using System.Buffers.Binary;

namespace KcryptPush.Tpm.Marshalling;

/// <summary>
/// Writes TPM 2.0 wire data (TPM 2.0 Part 2 §4, big-endian) into a growable buffer.
/// Size fields whose value is known only afterwards (a TPM2B's UINT16 size, a command's
/// commandSize, authorizationSize, parameterSize) are written with a <see cref="SizeScope"/>
/// that reserves the field and back-patches it on dispose.
/// </summary>
/// <example>
/// A command (TPM 2.0 Part 3 §4.4: tag, commandSize over the whole command, commandCode):
/// <code>
/// var w = new TpmWriter();
/// using (w.BeginCommand((ushort)TpmSt.NoSessions, (uint)TpmCc.GetRandom))
/// {
///     w.WriteUInt16(16);
/// }
/// byte[] command = w.ToArray();
/// </code>
/// </example>
public sealed class TpmWriter
{
    private byte[] _buffer;
    private int _length;

    /// <summary>Creates a writer with an initial capacity.</summary>
    public TpmWriter(int capacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _buffer = new byte[Math.Max(capacity, 16)];
    }

    /// <summary>Bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The bytes written so far (valid until the next write).</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>A copy of the bytes written.</summary>
    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Forgets everything written; the buffer is kept for reuse.</summary>
    public void Clear() => _length = 0;

    /// <summary>Writes a UINT8.</summary>
    public void WriteUInt8(byte value) => Reserve(1)[0] = value;

    /// <summary>Writes a big-endian UINT16.</summary>
    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Reserve(2), value);

    /// <summary>Writes a big-endian UINT32.</summary>
    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Reserve(4), value);

    /// <summary>Writes a big-endian INT32.</summary>
    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value);

    /// <summary>Writes a big-endian UINT64.</summary>
    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Reserve(8), value);

    /// <summary>Writes raw bytes (no size prefix).</summary>
    public void WriteBytes(ReadOnlySpan<byte> value) => value.CopyTo(Reserve(value.Length));

    /// <summary>Writes a TPM2B: UINT16 size, then the bytes (TPM 2.0 Part 2 §10.4).</summary>
    /// <exception cref="ArgumentException">More than 65535 bytes.</exception>
    public void WriteTpm2b(ReadOnlySpan<byte> value)
    {
        if (value.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"A TPM2B holds at most 65535 bytes, got {value.Length}.", nameof(value));
        }

        WriteUInt16((ushort)value.Length);
        WriteBytes(value);
    }

    /// <summary>
    /// Reserves a UINT16 size field; on dispose it receives the number of bytes written after
    /// it (the TPM2B convention, e.g. TPM2B_PUBLIC around a TPMT_PUBLIC, TPM2B_SENSITIVE_CREATE).
    /// </summary>
    public SizeScope BeginTpm2b() => BeginSize(2, countFrom: -1);

    /// <summary>
    /// Reserves a UINT32 size field; on dispose it receives the number of bytes written after it
    /// (authorizationSize, parameterSize), or from <paramref name="countFrom"/> when given
    /// (commandSize counts from the tag, before the field itself).
    /// </summary>
    public SizeScope BeginSize32(int countFrom = -1) => BeginSize(4, countFrom);

    /// <summary>
    /// Writes a command header (TPM 2.0 Part 3 §4.4: tag UINT16, commandSize UINT32, commandCode
    /// UINT32) and returns the scope that back-patches commandSize over the whole command when
    /// disposed. Write handles, the authorization area and the parameters inside the scope.
    /// </summary>
    public SizeScope BeginCommand(ushort tag, uint commandCode)
    {
        int start = _length;
        WriteUInt16(tag);
        SizeScope scope = BeginSize(4, start);
        WriteUInt32(commandCode);
        return scope;
    }

    /// <summary>Overwrites a UINT16 already written at <paramref name="position"/>.</summary>
    public void PatchUInt16(int position, ushort value)
    {
        CheckPatch(position, 2);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(position, 2), value);
    }

    /// <summary>Overwrites a UINT32 already written at <paramref name="position"/>.</summary>
    public void PatchUInt32(int position, uint value)
    {
        CheckPatch(position, 4);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(position, 4), value);
    }

    private SizeScope BeginSize(int width, int countFrom)
    {
        int fieldAt = _length;
        Reserve(width).Clear();
        return new SizeScope(this, fieldAt, width, countFrom < 0 ? fieldAt + width : countFrom);
    }

    private void CheckPatch(int position, int width)
    {
        if (position < 0 || position + width > _length)
        {
            throw new ArgumentOutOfRangeException(nameof(position), $"No {width}-byte field was written at {position}.");
        }
    }

    private Span<byte> Reserve(int count)
    {
        if (_buffer.Length - _length < count)
        {
            int newSize = Math.Max(_buffer.Length * 2, _length + count);
            Array.Resize(ref _buffer, newSize);
        }

        Span<byte> s = _buffer.AsSpan(_length, count);
        _length += count;
        return s;
    }

    /// <summary>
    /// A reserved size field that is back-patched on <see cref="Dispose"/> with the bytes written
    /// since its counting start. Scopes nest; dispose inner ones first.
    /// </summary>
    public struct SizeScope : IDisposable
    {
        private readonly TpmWriter? _writer;
        private readonly int _fieldAt;
        private readonly int _width;
        private readonly int _countFrom;
        private bool _done;

        internal SizeScope(TpmWriter writer, int fieldAt, int width, int countFrom)
        {
            _writer = writer;
            _fieldAt = fieldAt;
            _width = width;
            _countFrom = countFrom;
            _done = false;
        }

        /// <summary>Position of the reserved size field.</summary>
        public readonly int FieldPosition => _fieldAt;

        /// <summary>Writes the size. Disposing twice has no further effect.</summary>
        /// <exception cref="InvalidOperationException">The content is too large for the field.</exception>
        public void Dispose()
        {
            if (_done || _writer is null)
            {
                return;
            }

            _done = true;
            int size = _writer._length - _countFrom;
            if (_width == 2)
            {
                if (size > ushort.MaxValue)
                {
                    throw new InvalidOperationException($"TPM2B content of {size} bytes exceeds 65535.");
                }

                _writer.PatchUInt16(_fieldAt, (ushort)size);
            }
            else
            {
                _writer.PatchUInt32(_fieldAt, (uint)size);
            }
        }
    }
}
