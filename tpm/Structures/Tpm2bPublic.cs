using KcryptPush.Tpm.Marshalling;

namespace KcryptPush.Tpm.Structures;

/// <summary>
/// TPM2B_PUBLIC (TPM 2.0 Part 2 §12.2.5): UINT16 size, then a TPMT_PUBLIC that must fill it exactly.
/// </summary>
public static class Tpm2bPublic
{
    /// <summary>Reads a TPM2B_PUBLIC (size must be non-zero and match the TPMT_PUBLIC).</summary>
    /// <exception cref="TpmFormatException">Malformed data.</exception>
    public static TpmtPublic Read(ref TpmReader reader)
    {
        int at = reader.Position;
        ReadOnlySpan<byte> body = reader.ReadTpm2b("TPM2B_PUBLIC");
        if (body.IsEmpty)
        {
            throw reader.FailAt(at, "a non-empty TPM2B_PUBLIC");
        }

        var inner = new TpmReader(body, reader.Offset - body.Length);
        TpmtPublic p = TpmtPublic.Read(ref inner);
        inner.EnsureAtEnd("TPM2B_PUBLIC");
        return p;
    }

    /// <summary>Parses a TPM2B_PUBLIC that fills <paramref name="data"/> exactly.</summary>
    public static TpmtPublic Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TpmReader(data);
        TpmtPublic p = Read(ref reader);
        reader.EnsureAtEnd("TPM2B_PUBLIC");
        return p;
    }

    /// <summary>Writes a TPM2B_PUBLIC around <paramref name="publicArea"/>.</summary>
    public static void Write(TpmWriter writer, TpmtPublic publicArea) => writer.WriteTpm2b(publicArea.GetBytes());
}
