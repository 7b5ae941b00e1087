using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Structures;

/// <summary>
/// TPMT_SIGNATURE (TPM 2.0 Part 2 §11.3.4): sigAlg, then TPMU_SIGNATURE:
/// <list type="bullet">
/// <item>RSASSA, RSAPSS (§11.3.1 TPMS_SIGNATURE_RSA): hash, TPM2B_PUBLIC_KEY_RSA sig.</item>
/// <item>ECDSA, ECDAA, SM2, ECSCHNORR (§11.3.2 TPMS_SIGNATURE_ECC): hash, TPM2B r, TPM2B s.</item>
/// <item>HMAC: TPMT_HA (hash, digest of that hash's size).</item>
/// <item>NULL: nothing.</item>
/// </list>
/// </summary>
public sealed class TpmtSignature
{
    /// <summary>sigAlg.</summary>
    public required TpmAlgId SigAlg { get; init; }

    /// <summary>hash of the signature (TPM_ALG_NULL for a NULL signature).</summary>
    public TpmAlgId Hash { get; init; } = TpmAlgId.Null;

    /// <summary>sig for RSASSA/RSAPSS; digest for HMAC.</summary>
    public byte[] Signature { get; init; } = [];

    /// <summary>signatureR for ECC schemes.</summary>
    public byte[] R { get; init; } = [];

    /// <summary>signatureS for ECC schemes.</summary>
    public byte[] S { get; init; } = [];

    /// <summary>True for the RSA schemes.</summary>
    public bool IsRsa => SigAlg is TpmAlgId.RsaSsa or TpmAlgId.RsaPss;

    /// <summary>True for the ECC schemes (r, s).</summary>
    public bool IsEcc => SigAlg is TpmAlgId.EcDsa or TpmAlgId.EcDaa or TpmAlgId.Sm2 or TpmAlgId.EcSchnorr;

    /// <summary>Parses a TPMT_SIGNATURE that fills <paramref name="data"/> exactly.</summary>
    /// <exception cref="TpmFormatException">Malformed data or an unknown sigAlg.</exception>
    public static TpmtSignature Parse(ReadOnlySpan<byte> data)
    {
        var reader = new TpmReader(data);
        TpmtSignature s = Read(ref reader);
        reader.EnsureAtEnd("TPMT_SIGNATURE");
        return s;
    }

    /// <summary>Reads a TPMT_SIGNATURE.</summary>
    /// <exception cref="TpmFormatException">Malformed data or an unknown sigAlg.</exception>
    public static TpmtSignature Read(ref TpmReader reader)
    {
        int at = reader.Position;
        var alg = (TpmAlgId)reader.ReadUInt16("TPMT_SIGNATURE.sigAlg");
        if (alg == TpmAlgId.Null)
        {
            return new TpmtSignature { SigAlg = alg };
        }

        if (alg is not (TpmAlgId.RsaSsa or TpmAlgId.RsaPss or TpmAlgId.EcDsa or TpmAlgId.EcDaa or TpmAlgId.Sm2
            or TpmAlgId.EcSchnorr or TpmAlgId.Hmac))
        {
            throw reader.FailAt(at, $"TPMI_ALG_SIG_SCHEME (got 0x{(ushort)alg:x4})");
        }

        int hashAt = reader.Position;
        var hash = (TpmAlgId)reader.ReadUInt16("TPMT_SIGNATURE hash");
        int digestSize = TpmAlgorithms.GetDigestSize(hash);
        if (digestSize == 0)
        {
            throw reader.FailAt(hashAt, $"TPMI_ALG_HASH (got 0x{(ushort)hash:x4})");
        }

        switch (alg)
        {
            case TpmAlgId.RsaSsa or TpmAlgId.RsaPss:
                return new TpmtSignature
                {
                    SigAlg = alg, Hash = hash,
                    Signature = reader.ReadTpm2b("TPMS_SIGNATURE_RSA.sig", TpmLimits.RsaKeyBytes).ToArray(),
                };
            case TpmAlgId.Hmac:
                return new TpmtSignature
                {
                    SigAlg = alg, Hash = hash, Signature = reader.ReadBytes(digestSize, "TPMT_HA.digest").ToArray(),
                };
            default:
                byte[] r = reader.ReadTpm2b("TPMS_SIGNATURE_ECC.signatureR", TpmLimits.EccParameter).ToArray();
                byte[] s = reader.ReadTpm2b("TPMS_SIGNATURE_ECC.signatureS", TpmLimits.EccParameter).ToArray();
                return new TpmtSignature { SigAlg = alg, Hash = hash, R = r, S = s };
        }
    }

    /// <summary>Writes this TPMT_SIGNATURE.</summary>
    public void Write(TpmWriter writer)
    {
        writer.WriteUInt16((ushort)SigAlg);
        if (SigAlg == TpmAlgId.Null)
        {
            return;
        }

        writer.WriteUInt16((ushort)Hash);
        if (IsRsa)
        {
            writer.WriteTpm2b(Signature);
        }
        else if (SigAlg == TpmAlgId.Hmac)
        {
            writer.WriteBytes(Signature);
        }
        else
        {
            writer.WriteTpm2b(R);
            writer.WriteTpm2b(S);
        }
    }

    /// <summary>The marshalled TPMT_SIGNATURE.</summary>
    public byte[] ToArray()
    {
        var w = new TpmWriter(16 + Signature.Length + R.Length + S.Length);
        Write(w);
        return w.ToArray();
    }
}
