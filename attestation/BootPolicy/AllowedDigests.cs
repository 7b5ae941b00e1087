using KcryptPush.Attestation.EventLog;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// Digests a measurement may have, per bank (TPM_ALG_ID → set of digests). A measurement passes
/// when, in every bank the policy checks, its logged digest is one of the set. Operators add
/// alternatives (a second kernel, an updated dbx) by adding digests to the lists.
/// </summary>
public sealed class AllowedDigests
{
    private readonly SortedDictionary<ushort, List<byte[]>> _byBank = [];

    /// <summary>The banks with an entry (possibly an empty list).</summary>
    public IEnumerable<ushort> Banks => _byBank.Keys;

    /// <summary>Ensures <paramref name="algorithmId"/> has an entry, even an empty one.</summary>
    public AllowedDigests AddBank(ushort algorithmId)
    {
        if (!_byBank.ContainsKey(algorithmId))
        {
            _byBank[algorithmId] = [];
        }
        return this;
    }

    /// <summary>Adds <paramref name="digest"/> to the set of <paramref name="algorithmId"/> (no duplicates).</summary>
    public AllowedDigests Add(ushort algorithmId, ReadOnlySpan<byte> digest)
    {
        AddBank(algorithmId);
        List<byte[]> list = _byBank[algorithmId];
        foreach (byte[] existing in list)
        {
            if (existing.AsSpan().SequenceEqual(digest))
            {
                return this;
            }
        }
        list.Add(digest.ToArray());
        return this;
    }

    /// <summary>The digests allowed in <paramref name="algorithmId"/>, in insertion order; empty when none.</summary>
    public IReadOnlyList<byte[]> For(ushort algorithmId) =>
        _byBank.TryGetValue(algorithmId, out List<byte[]>? list) ? list : [];

    /// <summary>True when <paramref name="digest"/> is in the set of <paramref name="algorithmId"/>.</summary>
    public bool Allows(ushort algorithmId, ReadOnlySpan<byte> digest)
    {
        foreach (byte[] d in For(algorithmId))
        {
            if (d.AsSpan().SequenceEqual(digest))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>"sha256 one of [ab…, cd…]" style text for findings.</summary>
    public string Describe(ushort algorithmId)
    {
        IReadOnlyList<byte[]> list = For(algorithmId);
        string bank = TpmAlgorithms.BankName(algorithmId);
        return list.Count switch
        {
            0 => $"no {bank} digest allowed",
            1 => $"{bank} {Convert.ToHexStringLower(list[0])}",
            _ => $"{bank} one of [{string.Join(", ", list.Select(Convert.ToHexStringLower))}]",
        };
    }
}
