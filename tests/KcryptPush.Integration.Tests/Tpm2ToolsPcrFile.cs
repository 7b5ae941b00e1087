using System.Buffers.Binary;
using KcryptPush.Tpm.Commands;
using KcryptPush.Tpm.Structures;

namespace KcryptPush.Integration.Tests;

/// <summary>
/// tpm2-tools' "serialized" PCR file (what <c>tpm2_quote -o</c> writes and <c>tpm2_checkquote -f</c>
/// reads without -l): host-endian C structs, not TPM marshalling. TPML_PCR_SELECTION {count u32,
/// 16 × TPMS_PCR_SELECTION {hash u16, sizeofSelect u8, pcrSelect[4], 1 pad byte}}, then a u32 count of
/// TPML_DIGESTs, each {count u32, 8 × TPM2B_DIGEST {size u16, buffer[64]}}. Layout read off a
/// tpm2_quote -o file (668 bytes for one list) and tpm2-tools' pcr.c.
/// </summary>
internal static class Tpm2ToolsPcrFile
{
    private const int Banks = 16;
    private const int SelectMax = 4;
    private const int DigestsPerList = 8;
    private const int DigestBuffer = 64;

    public static byte[] Serialize(TpmlPcrSelection selection, IReadOnlyList<TpmPcrValue> values)
    {
        var lists = values.Chunk(DigestsPerList).ToList();
        int size = 4 + (Banks * 8) + 4 + (lists.Count * (4 + (DigestsPerList * (2 + DigestBuffer))));
        byte[] file = new byte[size];
        Span<byte> s = file;
        BinaryPrimitives.WriteUInt32LittleEndian(s, (uint)selection.Selections.Count);
        for (int i = 0; i < selection.Selections.Count; i++)
        {
            TpmsPcrSelection sel = selection.Selections[i];
            Span<byte> e = s.Slice(4 + (i * 8), 8);
            BinaryPrimitives.WriteUInt16LittleEndian(e, (ushort)sel.Hash);
            e[2] = (byte)sel.PcrSelect.Length;
            sel.PcrSelect.CopyTo(e.Slice(3, SelectMax));
        }
        int at = 4 + (Banks * 8);
        BinaryPrimitives.WriteUInt32LittleEndian(s[at..], (uint)lists.Count);
        at += 4;
        foreach (TpmPcrValue[] list in lists)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(s[at..], (uint)list.Length);
            for (int j = 0; j < list.Length; j++)
            {
                Span<byte> d = s.Slice(at + 4 + (j * (2 + DigestBuffer)), 2 + DigestBuffer);
                BinaryPrimitives.WriteUInt16LittleEndian(d, (ushort)list[j].Digest.Length);
                list[j].Digest.CopyTo(d[2..]);
            }
            at += 4 + (DigestsPerList * (2 + DigestBuffer));
        }
        return file;
    }
}
