using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Structures;

/// <summary>
/// TPML_PCR_SELECTION (TPM 2.0 Part 2 §10.9.7): count UINT32 (at most HASH_COUNT), then that
/// many TPMS_PCR_SELECTION. The list order is the order of a quote's pcrDigest.
/// </summary>
public sealed class TpmlPcrSelection
{
    private readonly TpmsPcrSelection[] _selections;

    /// <summary>Creates a list (copied).</summary>
    /// <exception cref="ArgumentException">More than 16 selections.</exception>
    public TpmlPcrSelection(IEnumerable<TpmsPcrSelection> selections)
    {
        ArgumentNullException.ThrowIfNull(selections);
        _selections = selections.ToArray();
        if (_selections.Length > TpmLimits.HashCount)
        {
            throw new ArgumentException($"At most {TpmLimits.HashCount} selections.", nameof(selections));
        }
    }

    /// <summary>An empty list (count 0), e.g. creationPCR of CreatePrimary.</summary>
    public static TpmlPcrSelection Empty { get; } = new([]);

    /// <summary>pcrSelections in list order.</summary>
    public IReadOnlyList<TpmsPcrSelection> Selections => _selections;

    /// <summary>Total number of PCR values selected across banks.</summary>
    public int TotalCount
    {
        get
        {
            int n = 0;
            foreach (TpmsPcrSelection s in _selections)
            {
                n += s.Count;
            }

            return n;
        }
    }

    /// <summary>Builds a list from banks and PCR indexes, in the given order.</summary>
    public static TpmlPcrSelection Create(params (TpmAlgId Bank, IEnumerable<int> Pcrs)[] banks)
    {
        ArgumentNullException.ThrowIfNull(banks);
        return new TpmlPcrSelection(banks.Select(b => TpmsPcrSelection.FromIndexes(b.Bank, b.Pcrs)));
    }

    /// <summary>Same banks in the same order, each selecting the same PCRs.</summary>
    public bool SelectsSame(TpmlPcrSelection other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (_selections.Length != other._selections.Length)
        {
            return false;
        }

        for (int i = 0; i < _selections.Length; i++)
        {
            if (!_selections[i].SelectsSame(other._selections[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads a TPML_PCR_SELECTION; count &gt; 16 is rejected before anything is allocated.</summary>
    public static TpmlPcrSelection Read(ref TpmReader reader)
    {
        int at = reader.Position;
        uint count = reader.ReadUInt32("TPML_PCR_SELECTION.count");
        if (count > TpmLimits.HashCount)
        {
            throw reader.FailAt(at, $"TPML_PCR_SELECTION.count <= {TpmLimits.HashCount} (got {count})");
        }

        var items = new TpmsPcrSelection[count];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = TpmsPcrSelection.Read(ref reader);
        }

        return new TpmlPcrSelection(items);
    }

    /// <summary>Writes this TPML_PCR_SELECTION.</summary>
    public void Write(TpmWriter writer)
    {
        writer.WriteUInt32((uint)_selections.Length);
        foreach (TpmsPcrSelection s in _selections)
        {
            s.Write(writer);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join(" ", _selections.Select(s => s.ToString()));
}
