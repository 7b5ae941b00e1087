using System.Buffers.Binary;
using System.Security.Cryptography;

namespace KcryptPush.Attestation.Tests.EventLog;

/// <summary>Writes small synthetic TCG event logs, little-endian, field by field.</summary>
internal sealed class LogBuilder
{
    private readonly MemoryStream _out = new();

    public LogBuilder U8(byte v) { _out.WriteByte(v); return this; }
    public LogBuilder U16(ushort v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, v); _out.Write(b); return this; }
    public LogBuilder U32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); _out.Write(b); return this; }
    public LogBuilder U64(ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); _out.Write(b); return this; }
    public LogBuilder Bytes(ReadOnlySpan<byte> v) { _out.Write(v); return this; }
    public int Length => (int)_out.Length;
    public byte[] ToArray() => _out.ToArray();

    /// <summary>TCG_PCR_EVENT with the Spec ID Event03 for SHA-1 + SHA-256.</summary>
    public LogBuilder SpecIdHeader(uint algorithmCount = 2, ushort sha256Size = 32)
    {
        var data = new LogBuilder()
            .Bytes("Spec ID Event03\0"u8)
            .U32(0)            // platformClass
            .U8(0).U8(2)       // specVersionMinor, specVersionMajor
            .U8(0)             // errata
            .U8(2)             // uintnSize
            .U32(algorithmCount)
            .U16(0x0004).U16(20)          // TPM_ALG_SHA1, 20
            .U16(0x000B).U16(sha256Size)  // TPM_ALG_SHA256, 32
            .U8(0)                        // vendorInfoSize
            .ToArray();
        return Sha1Event(0, 3, new byte[20], data);
    }

    public LogBuilder Sha1Event(uint pcr, uint type, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> data) =>
        U32(pcr).U32(type).Bytes(digest).U32((uint)data.Length).Bytes(data);

    /// <summary>TCG_PCR_EVENT2 with SHA-1 and SHA-256 digests of <paramref name="data"/>.</summary>
    public LogBuilder AgileEvent(uint pcr, uint type, ReadOnlySpan<byte> data) =>
        U32(pcr).U32(type).U32(2)
            .U16(0x0004).Bytes(SHA1.HashData(data))
            .U16(0x000B).Bytes(SHA256.HashData(data))
            .U32((uint)data.Length).Bytes(data);
}
