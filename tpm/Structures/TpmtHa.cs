using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Structures;

/// <summary>TPMT_HA (TPM 2.0 Part 2 §10.3.2): hashAlg, then a digest of exactly that hash's size.</summary>
public sealed class TpmtHa
{
    /// <summary>Creates a TPMT_HA; the digest length must match the algorithm.</summary>
    /// <exception cref="ArgumentException">Unknown hash or wrong digest length.</exception>
    public TpmtHa(TpmAlgId hashAlg, byte[] digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        int size = TpmAlgorithms.GetDigestSize(hashAlg);
        if (size == 0 || digest.Length != size)
        {
            throw new ArgumentException($"A 0x{(ushort)hashAlg:x4} digest must be {size} bytes, got {digest.Length}.", nameof(digest));
        }

        HashAlg = hashAlg;
        Digest = digest;
    }

    /// <summary>hashAlg.</summary>
    public TpmAlgId HashAlg { get; }

    /// <summary>digest.</summary>
    public byte[] Digest { get; }

    /// <summary>Reads a TPMT_HA; the hash must be known so its size is.</summary>
    public static TpmtHa Read(ref TpmReader reader)
    {
        int at = reader.Position;
        var alg = (TpmAlgId)reader.ReadUInt16("TPMT_HA.hashAlg");
        int size = TpmAlgorithms.GetDigestSize(alg);
        if (size == 0)
        {
            throw reader.FailAt(at, $"TPMI_ALG_HASH (got 0x{(ushort)alg:x4})");
        }

        return new TpmtHa(alg, reader.ReadBytes(size, "TPMT_HA.digest").ToArray());
    }

    /// <summary>Writes this TPMT_HA.</summary>
    public void Write(TpmWriter writer)
    {
        writer.WriteUInt16((ushort)HashAlg);
        writer.WriteBytes(Digest);
    }
}
