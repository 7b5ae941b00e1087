using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>One PCR value read from one bank.</summary>
public sealed record TpmPcrValue(TpmAlgId Bank, int Index, byte[] Digest);

/// <summary>
/// TPM2_PCR_Read (TPM 2.0 Part 3 §22.4): TPML_PCR_SELECTION pcrSelectionIn → UINT32
/// pcrUpdateCounter, TPML_PCR_SELECTION pcrSelectionOut, TPML_DIGEST pcrValues. A TPM returns at
/// most 8 digests per call (Part 2 Table 96, LIVE), in selection order; pcrSelectionOut says
/// which. <see cref="PcrReadAll"/> asks again for what is left until everything was read.
/// </summary>
public static class PcrReadCommand
{
    /// <summary>One round trip: the update counter, what was read and the values in that order.</summary>
    public static (uint UpdateCounter, TpmlPcrSelection Read, IReadOnlyList<byte[]> Values) PcrRead(this TpmCommandChannel tpm, TpmlPcrSelection selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        TpmResponse response = tpm.Execute(new TpmCommand(TpmCc.PcrRead, [], [], TpmCommand.Params(selection.Write)));
        var r = new TpmReader(response.Parameters);
        uint counter = r.ReadUInt32("pcrUpdateCounter");
        TpmlPcrSelection read = TpmlPcrSelection.Read(ref r);
        TpmlDigest values = TpmlDigest.Read(ref r);
        r.EnsureAtEnd("TPM2_PCR_Read response");
        if (values.Digests.Count != read.TotalCount)
        {
            throw new TpmFormatException(4, $"{read.TotalCount} PCR values for pcrSelectionOut (got {values.Digests.Count})");
        }
        return (counter, read, values.Digests);
    }

    /// <summary>
    /// Reads every selected PCR of every selected bank, looping while the TPM returns fewer than
    /// asked. The result is in selection order (bank order, then ascending PCR index). All reads
    /// must see the same pcrUpdateCounter, or the set would mix states; then it starts over.
    /// </summary>
    /// <exception cref="TpmFormatException">The TPM returned nothing for a PCR still asked for (e.g. an unallocated bank).</exception>
    public static IReadOnlyList<TpmPcrValue> PcrReadAll(this TpmCommandChannel tpm, TpmlPcrSelection selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        for (int attempt = 0; ; attempt++)
        {
            var values = new Dictionary<(TpmAlgId, int), byte[]>();
            uint? counter = null;
            bool changed = false;
            var remaining = selection.Selections.ToDictionary(s => s.Hash, s => new SortedSet<int>(s.GetIndexes()));
            while (remaining.Values.Any(s => s.Count > 0))
            {
                var ask = new TpmlPcrSelection(selection.Selections
                    .Where(s => remaining[s.Hash].Count > 0)
                    .Select(s => TpmsPcrSelection.FromIndexes(s.Hash, remaining[s.Hash], Math.Max(TpmLimits.PcrSelectMin, s.PcrSelect.Length))));
                (uint c, TpmlPcrSelection read, IReadOnlyList<byte[]> digests) = tpm.PcrRead(ask);
                if (counter is not null && c != counter)
                {
                    changed = true;
                    break;
                }
                counter = c;
                int i = 0;
                int got = 0;
                foreach (TpmsPcrSelection s in read.Selections)
                {
                    foreach (int pcr in s.GetIndexes())
                    {
                        if (remaining.TryGetValue(s.Hash, out SortedSet<int>? left) && left.Remove(pcr))
                        {
                            values[(s.Hash, pcr)] = digests[i];
                            got++;
                        }
                        i++;
                    }
                }
                if (got == 0)
                {
                    string missing = string.Join(" ", remaining.Where(kv => kv.Value.Count > 0).Select(kv => $"{kv.Key}:[{string.Join(",", kv.Value)}]"));
                    throw new TpmFormatException(0, $"values for the PCRs asked for; the TPM returned none for {missing} (bank not allocated?)");
                }
            }
            if (changed && attempt < 3)
            {
                continue;
            }
            return selection.Selections
                .SelectMany(s => s.GetIndexes().Select(p => new TpmPcrValue(s.Hash, p, values[(s.Hash, p)])))
                .ToList();
        }
    }
}
