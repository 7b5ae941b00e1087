using KcryptPush.Attestation.EventLog;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Types;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Policies;

/// <summary>
/// kcrypt-challenger's selective enrollment of PCR values (DESIGN.md table, kept exactly): not learned
/// yet → TOFU, store all PCRs received, all banks, as enforced, except those an operator entry covers
/// (TOFU is a state of its own: an operator's skip or value made before the first attestation does not
/// switch it off); a set value → must match exactly
/// (<see cref="AttestationReasonCodes.PcrPolicyViolation"/> naming bank:index, expected and actual);
/// empty (learn) → accept, store, audit old → new; omitted → never checked.
/// </summary>
public sealed class PcrSelectiveEnrollmentPolicy : IAttestationPolicy
{
    /// <inheritdoc/>
    public string Name => "pcr";

    /// <inheritdoc/>
    public bool NeedsEventLog => false;

    /// <inheritdoc/>
    public PolicyDecision Evaluate(PolicyContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var d = new PolicyDecision();
        IReadOnlyList<PcrPolicyRecord> entries = context.Node.Pcrs ?? [];
        if (context.Node.PcrTofuPending)
        {
            // TOFU: every quoted PCR of every bank the operator has not set, learned or skipped.
            var learned = new List<PcrPolicyRecord>();
            foreach ((string bank, IReadOnlyDictionary<int, byte[]> values) in context.QuotedPcrs.OrderBy(b => b.Key, StringComparer.Ordinal))
            {
                foreach ((int index, byte[] value) in values.OrderBy(v => v.Key))
                {
                    if (!entries.Any(e => e.Bank == bank && e.Index == index))
                    {
                        learned.Add(new PcrPolicyRecord { Bank = bank, Index = index, Mode = PolicyModes.Enforce, Value = Convert.ToHexStringLower(value) });
                    }
                }
            }

            DateTime at = context.Now;
            d.Changes.Add(new PolicyChange("verifier:tofu", "pcr policy", null,
                $"{learned.Count} PCRs enforced ({string.Join(", ", context.QuotedPcrs.Keys.Order(StringComparer.Ordinal))})"
                + (entries.Count == 0 ? "" : $"; {entries.Count} operator entries kept"), false, n =>
                {
                    n.Pcrs = [.. (n.Pcrs ?? []), .. learned];
                    n.Pcrs.Sort((a, b) => string.CompareOrdinal(a.Bank, b.Bank) is int c and not 0 ? c : a.Index.CompareTo(b.Index));
                    n.PcrsLearnedAt = at;
                }));
        }

        foreach (PcrPolicyRecord entry in entries)
        {
            if (entry.Mode == PolicyModes.Skip)
            {
                continue;
            }

            string what = $"pcr {entry.Bank}:{entry.Index}";
            bool quoted = context.QuotedPcrs.TryGetValue(entry.Bank, out IReadOnlyDictionary<int, byte[]>? bank)
                && bank.TryGetValue(entry.Index, out _);
            string? actual = quoted ? Convert.ToHexStringLower(bank![entry.Index]) : null;
            if (entry.Mode == PolicyModes.Learn)
            {
                if (actual is null)
                {
                    d.Failures.Add(new AttestationReason(AttestationReasonCodes.PcrPolicyViolation,
                        $"PCR {entry.Bank}:{entry.Index} is in learn mode but was not quoted."));
                    continue;
                }

                string bankName = entry.Bank;
                int index = entry.Index;
                d.Changes.Add(new PolicyChange("verifier:learn", what, entry.Value, actual, true, n =>
                {
                    PcrPolicyRecord? e = n.Pcrs?.Find(p => p.Bank == bankName && p.Index == index);
                    if (e is not null)
                    {
                        e.Mode = PolicyModes.Enforce;
                        e.Value = actual;
                    }
                }));
                continue;
            }

            if (actual is null)
            {
                d.Failures.Add(new AttestationReason(AttestationReasonCodes.PcrPolicyViolation,
                    $"PCR {entry.Bank}:{entry.Index} is enforced ({entry.Value}) but was not quoted."));
                continue;
            }

            if (!string.Equals(actual, entry.Value, StringComparison.OrdinalIgnoreCase))
            {
                BrokenEvent? broken = FirstDifferingEvent(context, entry.Bank, entry.Index);
                d.FirstBrokenEvent ??= broken;
                d.FailingPcrs.Add(new PcrMismatch(entry.Bank, entry.Index, entry.Value ?? "", actual));
                d.Failures.Add(new AttestationReason(AttestationReasonCodes.PcrPolicyViolation,
                    $"PCR {entry.Bank}:{entry.Index} is {actual}, the policy expects {entry.Value}"
                    + (broken is null ? "." : $"; first differing event: #{broken.Index} {broken.EventType} ({broken.Description})")));
            }
        }

        return d;
    }

    /// <summary>
    /// The first event of PCR <paramref name="pcr"/> whose <paramref name="bank"/> digest differs from
    /// the same position in the log the node last passed with (or that the reference log lacks).
    /// </summary>
    public static BrokenEvent? FirstDifferingEvent(PolicyContext context, string bank, int pcr)
    {
        if (context.Log is null || context.ReferenceLog is null || !TpmAlgorithms.TryParsePcrBank(bank, out Tpm.Types.TpmAlgId alg))
        {
            return null;
        }

        List<UntrustedEvent> now = EventsOf(context.Log.Events, pcr);
        List<UntrustedEvent> before = EventsOf(context.ReferenceLog.UntrustedEvents, pcr);
        for (int i = 0; i < now.Count; i++)
        {
            UntrustedEvent e = now[i];
            if (i >= before.Count)
            {
                return EventDescriptions.Broken(e, $"not in the log of the last pass ({before.Count} events of PCR {pcr})");
            }

            e.TryGetDigest((ushort)alg, out ReadOnlyMemory<byte> a);
            before[i].TryGetDigest((ushort)alg, out ReadOnlyMemory<byte> b);
            if (!a.Span.SequenceEqual(b.Span))
            {
                return EventDescriptions.Broken(e, $"{bank} digest {Convert.ToHexStringLower(a.Span)}, was {Convert.ToHexStringLower(b.Span)} at the last pass");
            }
        }

        return now.Count < before.Count && now.Count > 0
            ? EventDescriptions.Broken(now[^1], $"the log of the last pass had {before.Count} events of PCR {pcr}, this one {now.Count}")
            : null;
    }

    private static List<UntrustedEvent> EventsOf(IReadOnlyList<UntrustedEvent> events, int pcr) =>
        events.Where(e => e.PcrIndex == (uint)pcr && e.EventType != TcgEventType.EV_NO_ACTION).ToList();
}
