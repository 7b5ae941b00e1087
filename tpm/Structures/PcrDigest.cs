using System.Buffers;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Structures;

/// <summary>
/// The digest of selected PCR values: H(values of the selection concatenated in selection order:
/// list order, then ascending PCR index within each TPMS_PCR_SELECTION). It is a quote's
/// TPMS_QUOTE_INFO.pcrDigest (TPM 2.0 Part 1 §18.4, Part 3 §18.4 TPM2_Quote, hashed with the
/// signing scheme's hash) and the pcrDigest TPM2_PolicyPCR binds (Part 3 §23.7). The one routine
/// for it: the quote verifier, the agent's read-after-quote check and the release key policy call it.
/// </summary>
public static class PcrDigest
{
    /// <summary>H_<paramref name="hash"/> over the selected values; null when a selected PCR has
    /// no value or one not of its bank's digest size.</summary>
    /// <param name="valueOf">The value of (bank, pcr), or null when not known.</param>
    /// <exception cref="NotSupportedException"><paramref name="hash"/> is not a hash this process computes.</exception>
    public static byte[]? Compute(TpmAlgId hash, TpmlPcrSelection selection, Func<TpmAlgId, int, byte[]?> valueOf) =>
        TryCompute(hash, selection, valueOf, out byte[] digest, out _) ? digest : null;

    /// <summary>
    /// H_<paramref name="hash"/> over the selected values; false, with every selected PCR that has
    /// no value or one not of its bank's digest size in <paramref name="gaps"/> (selection order),
    /// when any has. A bank that is not a hash algorithm has no size, so any value of it is a gap.
    /// </summary>
    /// <param name="valueOf">The value of (bank, pcr), or null when not known; asked once per selected PCR.</param>
    /// <exception cref="NotSupportedException"><paramref name="hash"/> is not a hash this process computes.</exception>
    public static bool TryCompute(TpmAlgId hash, TpmlPcrSelection selection, Func<TpmAlgId, int, byte[]?> valueOf,
        out byte[] digest, out IReadOnlyList<PcrDigestGap> gaps)
    {
        ArgumentNullException.ThrowIfNull(selection);
        ArgumentNullException.ThrowIfNull(valueOf);
        IReadOnlyList<TpmsPcrSelection> selections = selection.Selections;
        int total = 0;
        foreach (TpmsPcrSelection bank in selections)
        {
            total += bank.Count * TpmAlgorithms.GetDigestSize(bank.Hash);
        }

        // Pooled: a quote over three banks of 24 PCRs is ~2.8 KB, and this runs for every quote.
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        try
        {
            List<PcrDigestGap>? found = null;
            int at = 0;
            for (int i = 0; i < selections.Count; i++)
            {
                TpmAlgId bank = selections[i].Hash;
                int size = TpmAlgorithms.GetDigestSize(bank);
                ReadOnlySpan<byte> bitmap = selections[i].PcrSelect;
                for (int pcr = 0; pcr < bitmap.Length * 8; pcr++)
                {
                    if ((bitmap[pcr >> 3] & (1 << (pcr & 7))) == 0)
                    {
                        continue;
                    }

                    byte[]? value = valueOf(bank, pcr);
                    if (value is null || size == 0 || value.Length != size)
                    {
                        (found ??= []).Add(new PcrDigestGap(i, bank, pcr, Missing: value is null));
                    }
                    else if (found is null)
                    {
                        value.CopyTo(buffer, at);
                        at += size;
                    }
                }
            }

            if (found is not null)
            {
                digest = [];
                gaps = found;
                return false;
            }

            digest = TpmAlgorithms.Hash(hash, buffer.AsSpan(0, at));
            gaps = [];
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
