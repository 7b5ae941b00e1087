using KcryptPush.Tpm.Marshalling;

namespace KcryptPush.Tpm.Structures;

/// <summary>
/// TPML_DIGEST_VALUES (TPM 2.0 Part 2 §10.9.5): count UINT32 (at most HASH_COUNT), then TPMT_HA
/// values. The digests for PCR_Extend, one per bank.
/// </summary>
public sealed class TpmlDigestValues
{
    private readonly TpmtHa[] _digests;

    /// <summary>Creates the list (copied).</summary>
    /// <exception cref="ArgumentException">More than 16 digests.</exception>
    public TpmlDigestValues(IEnumerable<TpmtHa> digests)
    {
        ArgumentNullException.ThrowIfNull(digests);
        _digests = digests.ToArray();
        if (_digests.Length > TpmLimits.HashCount)
        {
            throw new ArgumentException($"At most {TpmLimits.HashCount} digests.", nameof(digests));
        }
    }

    /// <summary>digests in order.</summary>
    public IReadOnlyList<TpmtHa> Digests => _digests;

    /// <summary>Reads a TPML_DIGEST_VALUES.</summary>
    public static TpmlDigestValues Read(ref TpmReader reader)
    {
        int at = reader.Position;
        uint count = reader.ReadUInt32("TPML_DIGEST_VALUES.count");
        if (count > TpmLimits.HashCount)
        {
            throw reader.FailAt(at, $"TPML_DIGEST_VALUES.count <= {TpmLimits.HashCount} (got {count})");
        }

        var items = new TpmtHa[count];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = TpmtHa.Read(ref reader);
        }

        return new TpmlDigestValues(items);
    }

    /// <summary>Writes this TPML_DIGEST_VALUES.</summary>
    public void Write(TpmWriter writer)
    {
        writer.WriteUInt32((uint)_digests.Length);
        foreach (TpmtHa d in _digests)
        {
            d.Write(writer);
        }
    }
}
