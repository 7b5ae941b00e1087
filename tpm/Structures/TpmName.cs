using System.Buffers.Binary;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Structures;

/// <summary>
/// Names of entities (TPM 2.0 Part 1 §16; Part 2 §10.4.3 TPM2B_NAME): nameAlg ‖ H(public area)
/// for objects and NV indexes, and the 4-byte handle for permanent entities.
/// </summary>
public static class TpmName
{
    /// <summary>nameAlg (UINT16, big-endian) ‖ H_nameAlg(<paramref name="publicArea"/>).</summary>
    /// <exception cref="NotSupportedException">nameAlg cannot be computed here (NULL, SM3...).</exception>
    public static byte[] Compute(TpmAlgId nameAlg, ReadOnlySpan<byte> publicArea)
    {
        int size = TpmAlgorithms.GetDigestSize(nameAlg);
        if (size == 0 || !TpmAlgorithms.CanHash(nameAlg))
        {
            throw new NotSupportedException($"Cannot compute a Name with nameAlg 0x{(ushort)nameAlg:x4}.");
        }

        byte[] name = new byte[2 + size];
        BinaryPrimitives.WriteUInt16BigEndian(name, (ushort)nameAlg);
        TpmAlgorithms.Hash(nameAlg, publicArea, name.AsSpan(2));
        return name;
    }

    /// <summary>The Name of a permanent handle (e.g. TPM_RH_ENDORSEMENT): its 4 bytes, big-endian.</summary>
    public static byte[] OfHandle(uint handle)
    {
        byte[] name = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(name, handle);
        return name;
    }

    /// <summary>
    /// A qualified name one level down: nameAlg ‖ H(parentQualifiedName ‖ name) (Part 1 §16).
    /// For a primary object the parent's qualified name is the hierarchy handle (4 bytes).
    /// </summary>
    public static byte[] Qualify(TpmAlgId nameAlg, ReadOnlySpan<byte> parentQualifiedName, ReadOnlySpan<byte> name)
    {
        byte[] buffer = new byte[parentQualifiedName.Length + name.Length];
        parentQualifiedName.CopyTo(buffer);
        name.CopyTo(buffer.AsSpan(parentQualifiedName.Length));
        return Compute(nameAlg, buffer);
    }
}
