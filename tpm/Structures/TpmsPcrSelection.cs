using System.Numerics;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Structures;

/// <summary>
/// TPMS_PCR_SELECTION (TPM 2.0 Part 2 §10.5.1): hash UINT16, sizeofSelect UINT8, pcrSelect
/// bitmap where byte i, bit j (LSB first) selects PCR 8i+j.
/// </summary>
public sealed class TpmsPcrSelection
{
    private readonly byte[] _select;

    /// <summary>Creates a selection from a raw bitmap (copied).</summary>
    /// <exception cref="ArgumentException">Bitmap longer than PCR_SELECT_MAX (32 bytes).</exception>
    public TpmsPcrSelection(TpmAlgId hash, ReadOnlySpan<byte> pcrSelect)
    {
        if (pcrSelect.Length > TpmLimits.PcrSelectMax)
        {
            throw new ArgumentException($"sizeofSelect must be <= {TpmLimits.PcrSelectMax}.", nameof(pcrSelect));
        }

        Hash = hash;
        _select = pcrSelect.ToArray();
    }

    /// <summary>hash: the PCR bank.</summary>
    public TpmAlgId Hash { get; }

    /// <summary>pcrSelect: the bitmap (sizeofSelect = its length).</summary>
    public ReadOnlySpan<byte> PcrSelect => _select;

    /// <summary>Number of PCRs selected.</summary>
    public int Count
    {
        get
        {
            int n = 0;
            foreach (byte b in _select)
            {
                n += BitOperations.PopCount(b);
            }

            return n;
        }
    }

    /// <summary>
    /// Selection of <paramref name="pcrs"/> in bank <paramref name="hash"/>; sizeofSelect is the
    /// larger of <paramref name="minSizeofSelect"/> (PCR_SELECT_MIN, 3) and what the highest PCR needs.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A PCR index outside 0..255.</exception>
    public static TpmsPcrSelection FromIndexes(TpmAlgId hash, IEnumerable<int> pcrs, int minSizeofSelect = TpmLimits.PcrSelectMin)
    {
        ArgumentNullException.ThrowIfNull(pcrs);
        ArgumentOutOfRangeException.ThrowIfNegative(minSizeofSelect);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minSizeofSelect, TpmLimits.PcrSelectMax);
        Span<byte> bitmap = stackalloc byte[TpmLimits.PcrSelectMax];
        bitmap.Clear();
        int size = minSizeofSelect;
        foreach (int pcr in pcrs)
        {
            if (pcr < 0 || pcr >= TpmLimits.PcrSelectMax * 8)
            {
                throw new ArgumentOutOfRangeException(nameof(pcrs), pcr, "PCR index must be 0..255.");
            }

            bitmap[pcr >> 3] |= (byte)(1 << (pcr & 7));
            size = Math.Max(size, (pcr >> 3) + 1);
        }

        return new TpmsPcrSelection(hash, bitmap[..size]);
    }

    /// <summary>True when PCR <paramref name="pcr"/> is selected.</summary>
    public bool IsSelected(int pcr) =>
        pcr >= 0 && (pcr >> 3) < _select.Length && (_select[pcr >> 3] & (1 << (pcr & 7))) != 0;

    /// <summary>The selected PCR indexes in ascending order (the order of a quote's pcrDigest).</summary>
    public int[] GetIndexes()
    {
        int[] result = new int[Count];
        int k = 0;
        for (int i = 0; i < _select.Length; i++)
        {
            for (int j = 0; j < 8; j++)
            {
                if ((_select[i] & (1 << j)) != 0)
                {
                    result[k++] = (i << 3) | j;
                }
            }
        }

        return result;
    }

    /// <summary>Same bank and same PCRs (sizeofSelect may differ: trailing zero bytes are ignored).</summary>
    public bool SelectsSame(TpmsPcrSelection other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Hash != other.Hash)
        {
            return false;
        }

        int n = Math.Max(_select.Length, other._select.Length);
        for (int i = 0; i < n; i++)
        {
            byte a = i < _select.Length ? _select[i] : (byte)0;
            byte b = i < other._select.Length ? other._select[i] : (byte)0;
            if (a != b)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads a TPMS_PCR_SELECTION; a non-hash bank or sizeofSelect &gt; 32 is rejected.</summary>
    public static TpmsPcrSelection Read(ref TpmReader reader)
    {
        int at = reader.Position;
        var hash = (TpmAlgId)reader.ReadUInt16("TPMS_PCR_SELECTION.hash");
        if (!TpmAlgorithms.IsHash(hash))
        {
            throw reader.FailAt(at, $"TPMI_ALG_HASH PCR bank (got 0x{(ushort)hash:x4})");
        }

        int sizeAt = reader.Position;
        byte size = reader.ReadUInt8("TPMS_PCR_SELECTION.sizeofSelect");
        if (size > TpmLimits.PcrSelectMax)
        {
            throw reader.FailAt(sizeAt, $"sizeofSelect <= {TpmLimits.PcrSelectMax} (got {size})");
        }

        return new TpmsPcrSelection(hash, reader.ReadBytes(size, "TPMS_PCR_SELECTION.pcrSelect"));
    }

    /// <summary>Writes this TPMS_PCR_SELECTION.</summary>
    public void Write(TpmWriter writer)
    {
        writer.WriteUInt16((ushort)Hash);
        writer.WriteUInt8((byte)_select.Length);
        writer.WriteBytes(_select);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Hash}:[{string.Join(",", GetIndexes())}]";
}
