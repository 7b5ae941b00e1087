using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Structures;

/// <summary>
/// TPMS_ATTEST (TPM 2.0 Part 2 §10.12.12, Table 117): magic, type, qualifiedSigner,
/// extraData, clockInfo, firmwareVersion, then TPMU_ATTEST selected by type. A quote
/// (TPM_ST_ATTEST_QUOTE) is decoded into <see cref="Quote"/>; the other attestation types keep
/// their TPMU_ATTEST as raw bytes in <see cref="Attested"/>. Parsing does not judge the
/// contents (magic, type, nonce): that is the verifier's job, so it can name each failure.
/// </summary>
public sealed class TpmsAttest
{
    /// <summary>TPM_GENERATED_VALUE (Part 2 §6.2): the magic of every TPM-produced TPMS_ATTEST.</summary>
    public const uint TpmGeneratedValue = 0xFF544347;

    /// <summary>magic (TPM_GENERATED_VALUE when the TPM produced it).</summary>
    public required uint Magic { get; init; }

    /// <summary>type (TPMI_ST_ATTEST).</summary>
    public required TpmSt Type { get; init; }

    /// <summary>qualifiedSigner (TPM2B_NAME contents): the signing key's qualified name.</summary>
    public byte[] QualifiedSigner { get; init; } = [];

    /// <summary>extraData (TPM2B_DATA contents): the caller's qualifyingData, i.e. the nonce.</summary>
    public byte[] ExtraData { get; init; } = [];

    /// <summary>clockInfo.</summary>
    public TpmsClockInfo ClockInfo { get; init; }

    /// <summary>firmwareVersion (FIRMWARE_VERSION_1 ‖ FIRMWARE_VERSION_2).</summary>
    public ulong FirmwareVersion { get; init; }

    /// <summary>attested.quote when <see cref="Type"/> is TPM_ST_ATTEST_QUOTE; otherwise null.</summary>
    public TpmsQuoteInfo? Quote { get; init; }

    /// <summary>The raw TPMU_ATTEST bytes for every type (for a quote, the marshalled quote info).</summary>
    public byte[] Attested { get; init; } = [];

    /// <summary>
    /// Parses a TPMS_ATTEST that fills <paramref name="data"/> exactly (the contents of a
    /// TPM2B_ATTEST, which are the signed bytes).
    /// </summary>
    /// <param name="data">The TPMS_ATTEST bytes.</param>
    /// <param name="baseOffset">Offset of <paramref name="data"/> in an outer buffer, for error offsets.</param>
    /// <exception cref="TpmFormatException">Malformed data, an unknown TPMI_ST_ATTEST, or trailing bytes after a quote.</exception>
    public static TpmsAttest Parse(ReadOnlySpan<byte> data, int baseOffset = 0)
    {
        var reader = new TpmReader(data, baseOffset);
        uint magic = reader.ReadUInt32("TPMS_ATTEST.magic");
        int typeAt = reader.Position;
        var type = (TpmSt)reader.ReadUInt16("TPMS_ATTEST.type");
        if (type is not (TpmSt.AttestNv or TpmSt.AttestCommandAudit or TpmSt.AttestSessionAudit or TpmSt.AttestCertify
            or TpmSt.AttestQuote or TpmSt.AttestTime or TpmSt.AttestCreation or TpmSt.AttestNvDigest))
        {
            throw reader.FailAt(typeAt, $"TPMI_ST_ATTEST (0x8014..0x801C; got 0x{(ushort)type:x4})");
        }

        byte[] signer = reader.ReadTpm2b("TPMS_ATTEST.qualifiedSigner", TpmLimits.Name).ToArray();
        byte[] extra = reader.ReadTpm2b("TPMS_ATTEST.extraData", TpmLimits.Data).ToArray();
        TpmsClockInfo clock = TpmsClockInfo.Read(ref reader);
        ulong firmware = reader.ReadUInt64("TPMS_ATTEST.firmwareVersion");

        int attestedAt = reader.Position;
        TpmsQuoteInfo? quote = null;
        if (type == TpmSt.AttestQuote)
        {
            quote = TpmsQuoteInfo.Read(ref reader);
            reader.EnsureAtEnd("TPMS_ATTEST (TPMS_QUOTE_INFO)");
        }

        byte[] attested = reader.Buffer[attestedAt..].ToArray();
        return new TpmsAttest
        {
            Magic = magic,
            Type = type,
            QualifiedSigner = signer,
            ExtraData = extra,
            ClockInfo = clock,
            FirmwareVersion = firmware,
            Quote = quote,
            Attested = attested,
        };
    }

    /// <summary>Reads a TPM2B_ATTEST (size, then a TPMS_ATTEST that fills it) and returns the parsed contents.</summary>
    public static TpmsAttest ReadTpm2b(ref TpmReader reader, out byte[] attestBytes)
    {
        int at = reader.Position;
        ReadOnlySpan<byte> body = reader.ReadTpm2b("TPM2B_ATTEST");
        if (body.IsEmpty)
        {
            throw reader.FailAt(at, "a non-empty TPM2B_ATTEST");
        }

        attestBytes = body.ToArray();
        return Parse(body, reader.Offset - body.Length);
    }

    /// <summary>Writes this TPMS_ATTEST (no TPM2B size).</summary>
    public void Write(TpmWriter writer)
    {
        writer.WriteUInt32(Magic);
        writer.WriteUInt16((ushort)Type);
        writer.WriteTpm2b(QualifiedSigner);
        writer.WriteTpm2b(ExtraData);
        ClockInfo.Write(writer);
        writer.WriteUInt64(FirmwareVersion);
        if (Quote is not null)
        {
            Quote.Write(writer);
        }
        else
        {
            writer.WriteBytes(Attested);
        }
    }

    /// <summary>The marshalled TPMS_ATTEST.</summary>
    public byte[] ToArray()
    {
        var w = new TpmWriter(128 + Attested.Length);
        Write(w);
        return w.ToArray();
    }
}
