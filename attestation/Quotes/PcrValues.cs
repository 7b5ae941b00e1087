using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Quotes;

/// <summary>
/// Reported PCR values per bank (what the agent read with PCR_Read), looked up by bank and
/// index. Values are kept as given; the verifier checks their length against the bank.
/// </summary>
public sealed class PcrValues
{
    private const int MaxPcrs = 256;
    private readonly Dictionary<TpmAlgId, byte[]?[]> _banks = [];

    /// <summary>The banks with at least one value.</summary>
    public IEnumerable<TpmAlgId> Banks => _banks.Keys;

    /// <summary>Sets PCR <paramref name="pcr"/> of <paramref name="bank"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">PCR index outside 0..255.</exception>
    public PcrValues Set(TpmAlgId bank, int pcr, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfNegative(pcr);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pcr, MaxPcrs);
        if (!_banks.TryGetValue(bank, out byte[]?[]? values))
        {
            values = new byte[]?[MaxPcrs];
            _banks[bank] = values;
        }

        values[pcr] = value;
        return this;
    }

    /// <summary>The value of PCR <paramref name="pcr"/> in <paramref name="bank"/>, if reported.</summary>
    public bool TryGet(TpmAlgId bank, int pcr, out byte[] value)
    {
        if (pcr is >= 0 and < MaxPcrs && _banks.TryGetValue(bank, out byte[]?[]? values) && values[pcr] is { } v)
        {
            value = v;
            return true;
        }

        value = [];
        return false;
    }

    /// <summary>Builds the set from bank → (index → value) maps.</summary>
    public static PcrValues FromBanks(IEnumerable<KeyValuePair<TpmAlgId, IReadOnlyDictionary<int, byte[]>>> banks)
    {
        ArgumentNullException.ThrowIfNull(banks);
        var result = new PcrValues();
        foreach (KeyValuePair<TpmAlgId, IReadOnlyDictionary<int, byte[]>> bank in banks)
        {
            foreach (KeyValuePair<int, byte[]> pcr in bank.Value)
            {
                result.Set(bank.Key, pcr.Key, pcr.Value);
            }
        }

        return result;
    }
}
