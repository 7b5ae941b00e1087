using KcryptPush.Tpm.Marshalling;

namespace KcryptPush.Tpm.Structures;

/// <summary>
/// TPMS_QUOTE_INFO (TPM 2.0 Part 2 §10.12.1): pcrSelect, then pcrDigest (TPM2B_DIGEST), the
/// hash with the signing scheme's hash of the selected PCR values in selection order (Part 3 §18.4).
/// </summary>
public sealed class TpmsQuoteInfo
{
    /// <summary>Creates a quote info.</summary>
    public TpmsQuoteInfo(TpmlPcrSelection pcrSelect, byte[] pcrDigest)
    {
        ArgumentNullException.ThrowIfNull(pcrSelect);
        ArgumentNullException.ThrowIfNull(pcrDigest);
        PcrSelect = pcrSelect;
        PcrDigest = pcrDigest;
    }

    /// <summary>pcrSelect: the PCRs quoted.</summary>
    public TpmlPcrSelection PcrSelect { get; }

    /// <summary>pcrDigest.</summary>
    public byte[] PcrDigest { get; }

    /// <summary>Reads a TPMS_QUOTE_INFO.</summary>
    public static TpmsQuoteInfo Read(ref TpmReader reader)
    {
        TpmlPcrSelection select = TpmlPcrSelection.Read(ref reader);
        byte[] digest = reader.ReadTpm2b("TPMS_QUOTE_INFO.pcrDigest", TpmLimits.Digest).ToArray();
        return new TpmsQuoteInfo(select, digest);
    }

    /// <summary>Writes this TPMS_QUOTE_INFO.</summary>
    public void Write(TpmWriter writer)
    {
        PcrSelect.Write(writer);
        writer.WriteTpm2b(PcrDigest);
    }
}
