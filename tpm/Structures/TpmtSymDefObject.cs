using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Structures;

/// <summary>
/// TPMT_SYM_DEF_OBJECT (TPM 2.0 Part 2 §11.1.7): algorithm, then keyBits and mode unless the
/// algorithm is TPM_ALG_NULL. Also the layout of TPMT_SYM_DEF for block ciphers.
/// </summary>
public readonly record struct TpmtSymDefObject(TpmAlgId Algorithm, ushort KeyBits, TpmAlgId Mode)
{
    /// <summary>TPM_ALG_NULL: no symmetric algorithm (signing keys).</summary>
    public static TpmtSymDefObject Null => new(TpmAlgId.Null, 0, TpmAlgId.Null);

    /// <summary>AES-128-CFB (storage parents, EK L-1/L-2).</summary>
    public static TpmtSymDefObject Aes128Cfb => new(TpmAlgId.Aes, 128, TpmAlgId.Cfb);

    /// <summary>AES-256-CFB (EK H-3).</summary>
    public static TpmtSymDefObject Aes256Cfb => new(TpmAlgId.Aes, 256, TpmAlgId.Cfb);

    /// <summary>Reads a TPMT_SYM_DEF_OBJECT; XOR and unknown algorithms are rejected.</summary>
    public static TpmtSymDefObject Read(ref TpmReader reader)
    {
        int at = reader.Position;
        var alg = (TpmAlgId)reader.ReadUInt16("TPMT_SYM_DEF_OBJECT.algorithm");
        if (alg == TpmAlgId.Null)
        {
            return Null;
        }

        if (alg is not (TpmAlgId.Aes or TpmAlgId.Sm4 or TpmAlgId.Camellia or TpmAlgId.Tdes))
        {
            throw reader.FailAt(at, $"TPMI_ALG_SYM_OBJECT (AES, SM4, CAMELLIA, TDES or NULL; got 0x{(ushort)alg:x4})");
        }

        ushort bits = reader.ReadUInt16("TPMT_SYM_DEF_OBJECT.keyBits");
        int modeAt = reader.Position;
        var mode = (TpmAlgId)reader.ReadUInt16("TPMT_SYM_DEF_OBJECT.mode");
        if (mode is not (TpmAlgId.Ctr or TpmAlgId.Ofb or TpmAlgId.Cbc or TpmAlgId.Cfb or TpmAlgId.Ecb or TpmAlgId.Null))
        {
            throw reader.FailAt(modeAt, $"TPMI_ALG_SYM_MODE (got 0x{(ushort)mode:x4})");
        }

        return new TpmtSymDefObject(alg, bits, mode);
    }

    /// <summary>Writes this TPMT_SYM_DEF_OBJECT.</summary>
    public void Write(TpmWriter writer)
    {
        writer.WriteUInt16((ushort)Algorithm);
        if (Algorithm != TpmAlgId.Null)
        {
            writer.WriteUInt16(KeyBits);
            writer.WriteUInt16((ushort)Mode);
        }
    }
}
