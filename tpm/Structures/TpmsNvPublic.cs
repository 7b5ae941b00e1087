using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Structures;

/// <summary>
/// TPMS_NV_PUBLIC (TPM 2.0 Part 2 §13.5): nvIndex UINT32, nameAlg, attributes (TPMA_NV),
/// authPolicy TPM2B_DIGEST, dataSize UINT16. Its Name is nameAlg ‖ H(TPMS_NV_PUBLIC).
/// </summary>
public sealed class TpmsNvPublic
{
    private byte[]? _bytes;

    /// <summary>nvIndex (TPMI_RH_NV_INDEX, 0x01xxxxxx).</summary>
    public required uint NvIndex { get; init; }

    /// <summary>nameAlg.</summary>
    public required TpmAlgId NameAlg { get; init; }

    /// <summary>attributes.</summary>
    public required TpmaNv Attributes { get; init; }

    /// <summary>authPolicy.</summary>
    public byte[] AuthPolicy { get; init; } = [];

    /// <summary>dataSize.</summary>
    public ushort DataSize { get; init; }

    /// <summary>Parses a TPMS_NV_PUBLIC that fills <paramref name="data"/> exactly.</summary>
    public static TpmsNvPublic Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TpmReader(data);
        TpmsNvPublic p = Read(ref reader);
        reader.EnsureAtEnd("TPMS_NV_PUBLIC");
        return p;
    }

    /// <summary>Reads a TPMS_NV_PUBLIC and remembers its exact bytes.</summary>
    public static TpmsNvPublic Read(ref TpmReader reader)
    {
        int start = reader.Position;
        uint index = reader.ReadUInt32("TPMS_NV_PUBLIC.nvIndex");
        if (TpmHandle.HandleType(index) != 0x01)
        {
            throw reader.FailAt(start, $"TPMI_RH_NV_INDEX 0x01xxxxxx (got 0x{index:x8})");
        }

        int algAt = reader.Position;
        var nameAlg = (TpmAlgId)reader.ReadUInt16("TPMS_NV_PUBLIC.nameAlg");
        if (!TpmAlgorithms.IsHash(nameAlg))
        {
            throw reader.FailAt(algAt, $"TPMI_ALG_HASH nameAlg (got 0x{(ushort)nameAlg:x4})");
        }

        var attributes = (TpmaNv)reader.ReadUInt32("TPMS_NV_PUBLIC.attributes");
        byte[] policy = reader.ReadTpm2b("TPMS_NV_PUBLIC.authPolicy", TpmLimits.Digest).ToArray();
        ushort size = reader.ReadUInt16("TPMS_NV_PUBLIC.dataSize");
        return new TpmsNvPublic
        {
            NvIndex = index, NameAlg = nameAlg, Attributes = attributes, AuthPolicy = policy, DataSize = size,
            _bytes = reader.Buffer[start..reader.Position].ToArray(),
        };
    }

    /// <summary>Reads a TPM2B_NV_PUBLIC (§13.6): size, then a TPMS_NV_PUBLIC that fills it.</summary>
    public static TpmsNvPublic ReadTpm2b(ref TpmReader reader)
    {
        int at = reader.Position;
        ReadOnlySpan<byte> body = reader.ReadTpm2b("TPM2B_NV_PUBLIC");
        if (body.IsEmpty)
        {
            throw reader.FailAt(at, "a non-empty TPM2B_NV_PUBLIC");
        }

        var inner = new TpmReader(body, reader.Offset - body.Length);
        TpmsNvPublic p = Read(ref inner);
        inner.EnsureAtEnd("TPM2B_NV_PUBLIC");
        return p;
    }

    /// <summary>The marshalled TPMS_NV_PUBLIC (exact input bytes when parsed).</summary>
    public ReadOnlySpan<byte> GetBytes()
    {
        if (_bytes is null)
        {
            var w = new TpmWriter(16 + AuthPolicy.Length);
            w.WriteUInt32(NvIndex);
            w.WriteUInt16((ushort)NameAlg);
            w.WriteUInt32((uint)Attributes);
            w.WriteTpm2b(AuthPolicy);
            w.WriteUInt16(DataSize);
            _bytes = w.ToArray();
        }

        return _bytes;
    }

    /// <summary>Writes this TPMS_NV_PUBLIC.</summary>
    public void Write(TpmWriter writer) => writer.WriteBytes(GetBytes());

    /// <summary>Writes a TPM2B_NV_PUBLIC around this.</summary>
    public void WriteTpm2b(TpmWriter writer) => writer.WriteTpm2b(GetBytes());

    /// <summary>The NV index's Name: nameAlg ‖ H_nameAlg(TPMS_NV_PUBLIC) (Part 1 §16).</summary>
    public byte[] ComputeName() => TpmName.Compute(NameAlg, GetBytes());
}
