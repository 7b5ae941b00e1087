using System.Globalization;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Operator;

/// <summary>
/// The operator's edits of a node's attestation policy, each inside the node's unit of work (the
/// caller commits): the record is changed and the change audited, old → new.
/// </summary>
public static class PolicyEdits
{
    /// <summary>
    /// Sets one PCR's policy: <see cref="PolicyModes.Enforce"/> with a hex value, <see cref="PolicyModes.Learn"/>
    /// (accept and store the next value) or <see cref="PolicyModes.Skip"/> (an explicit skip entry: never
    /// checked, and not learned by TOFU).
    /// </summary>
    public static void SetPcr(IVerifierUnit unit, string bank, int index, string mode, string? value, string actor, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(bank);
        NodeAttestation node = unit.GetOrNewAttestation(nowUtc);
        node.Pcrs ??= [];
        PcrPolicyRecord? entry = node.Pcrs.Find(p => p.Bank == bank && p.Index == index);
        string old = entry is null ? PolicyModes.Skip : Describe(entry.Mode, entry.Value);
        node.Pcrs.RemoveAll(p => p.Bank == bank && p.Index == index);
        switch (mode)
        {
            case PolicyModes.Enforce:
                node.Pcrs.Add(new PcrPolicyRecord { Bank = bank, Index = index, Mode = PolicyModes.Enforce, Value = value?.ToLowerInvariant() });
                break;
            case PolicyModes.Learn:
                node.Pcrs.Add(new PcrPolicyRecord { Bank = bank, Index = index, Mode = PolicyModes.Learn, Value = entry?.Value });
                break;
            case PolicyModes.Skip:
                node.Pcrs.Add(new PcrPolicyRecord { Bank = bank, Index = index, Mode = PolicyModes.Skip });
                break;
            default:
                throw new ArgumentException($"PCR policy mode must be enforce, learn or skip, not '{mode}'", nameof(mode));
        }

        node.Pcrs.Sort((a, b) => (string.CompareOrdinal(a.Bank, b.Bank), a.Index.CompareTo(b.Index)) switch
        {
            (0, int i) => i,
            (int c, _) => c,
        });
        unit.Save(node);
        unit.AddAudit(actor, $"pcr {bank}:{index}", old, Describe(mode, value), nowUtc);
    }

    /// <summary>Sets the AK policy (enforce keeps the current AK Name; learn accepts the next enrolled AK; skip never checks).</summary>
    public static void SetAk(IVerifierUnit unit, string mode, string actor, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(unit);
        if (mode is not (PolicyModes.Enforce or PolicyModes.Learn or PolicyModes.Skip))
        {
            throw new ArgumentException($"AK policy mode must be enforce, learn or skip, not '{mode}'", nameof(mode));
        }

        NodeAttestation node = unit.GetOrNewAttestation(nowUtc);
        string old = node.AkMode ?? "none";
        node.AkMode = mode;
        unit.Save(node);
        unit.AddAudit(actor, "ak policy", old, mode, nowUtc);
    }

    /// <summary>Sets or clears the attestation budget.</summary>
    public static void SetMaxAttestations(IVerifierUnit unit, int? max, string actor, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(unit);
        NodeAttestation node = unit.GetOrNewAttestation(nowUtc);
        string? old = node.MaxAttestations?.ToString(CultureInfo.InvariantCulture);
        node.MaxAttestations = max;
        unit.Save(node);
        unit.AddAudit(actor, "maxAttestations", old, max?.ToString(CultureInfo.InvariantCulture), nowUtc);
    }

    /// <summary>A policy value as the audit shows it.</summary>
    public static string Describe(string mode, string? value) => mode switch
    {
        PolicyModes.Enforce => value ?? "",
        PolicyModes.Learn => "\"\" (learn)",
        _ => "(skip)",
    };
}
