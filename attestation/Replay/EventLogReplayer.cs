using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Hashing;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Replay;

/// <summary>
/// Replays a parsed event log: for each bank, PCR = H(PCR ‖ digest) for every event except
/// EV_NO_ACTION (PFP §10.4.1: EV_NO_ACTION is never extended), starting from
/// <see cref="PcrInitialValues"/>. The logged digest is used as is (never a digest recomputed from
/// the data). Events whose PCR index is not 0..23 (e.g. 0xFFFFFFFF in Windows logs) are skipped
/// and reported, never used as an array index.
/// </summary>
public static class EventLogReplayer
{
    /// <summary>Replays every bank of <paramref name="log"/> that this platform can hash (through
    /// OpenSSL or .NET: SHA-1/2, SM3-256, SHA3); the others are listed with the reason in
    /// <see cref="ReplayResult.NotReplayed"/>.</summary>
    public static ReplayResult Replay(ParsedEventLog log) => Replay(log, null);

    /// <summary>Replays only the banks in <paramref name="onlyBanks"/> (all when null), e.g. the bank of a
    /// quote: each bank costs one hash per event.</summary>
    public static ReplayResult Replay(ParsedEventLog log, IReadOnlyCollection<TpmAlgId>? onlyBanks)
    {
        ArgumentNullException.ThrowIfNull(log);
        IReadOnlyList<UntrustedEvent> events = log.UntrustedEvents;
        byte locality = FindPcr0Locality(events);

        var skipped = new List<SkippedEvent>();
        for (int i = 0; i < events.Count; i++)
        {
            UntrustedEvent e = events[i];
            if (e.EventType != TcgEventType.EV_NO_ACTION && e.PcrIndex >= PcrInitialValues.PcrCount)
            {
                skipped.Add(new SkippedEvent(e.Index, e.PcrIndex, null,
                    $"PCR index 0x{e.PcrIndex:x} is outside 0..{PcrInitialValues.PcrCount - 1}"));
            }
        }

        var banks = new List<ReplayedBank>(log.Banks.Count);
        var unreplayable = new List<ushort>();
        var notReplayed = new List<UnreplayedBank>();
        foreach (SpecIdAlgorithm bank in log.Banks)
        {
            if (onlyBanks is not null && !onlyBanks.Contains((TpmAlgId)bank.AlgorithmId))
            {
                continue;
            }
            if (TcgAlgorithms.WhyNotComputable(bank.AlgorithmId) is { } reason)
            {
                unreplayable.Add(bank.AlgorithmId);
                notReplayed.Add(new UnreplayedBank(bank.AlgorithmId, bank.DigestSize, reason));
                continue;
            }
            banks.Add(ReplayBank(events, bank, locality, skipped));
        }

        return new ReplayResult
        {
            Banks = banks,
            UnreplayableBanks = unreplayable,
            NotReplayed = notReplayed,
            Skipped = skipped,
            Pcr0StartLocality = locality,
            EventCount = events.Count,
        };
    }

    /// <summary>PCR 0's starting locality: 4 after an H-CRTM (EV_EFI_HCRTM_EVENT, PFP §10.4.5.2),
    /// else the locality of the first StartupLocality event, else 0.</summary>
    public static byte FindPcr0Locality(IReadOnlyList<UntrustedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        byte? startup = null;
        for (int i = 0; i < events.Count; i++)
        {
            UntrustedEvent e = events[i];
            if (e.EventType == TcgEventType.EV_EFI_HCRTM_EVENT && e.PcrIndex == 0)
            {
                return 4;
            }
            if (startup is null && StartupLocality.TryRead(e, out byte loc))
            {
                startup = loc;
            }
        }
        return startup ?? 0;
    }

    private static ReplayedBank ReplayBank(
        IReadOnlyList<UntrustedEvent> events, SpecIdAlgorithm bank, byte locality, List<SkippedEvent> skipped)
    {
        ushort alg = bank.AlgorithmId;
        int size = bank.DigestSize;
        var state = new byte[PcrInitialValues.PcrCount * size];
        for (int p = 0; p < PcrInitialValues.PcrCount; p++)
        {
            PcrInitialValues.Write(p, locality, state.AsSpan(p * size, size));
        }

        uint extended = 0;
        using PcrExtender extender = PcrExtender.Create(alg);
        for (int i = 0; i < events.Count; i++)
        {
            UntrustedEvent e = events[i];
            if (e.EventType == TcgEventType.EV_NO_ACTION || e.PcrIndex >= PcrInitialValues.PcrCount)
            {
                continue;
            }
            if (!e.TryGetDigest(alg, out ReadOnlyMemory<byte> digest))
            {
                skipped.Add(new SkippedEvent(e.Index, e.PcrIndex, bank.BankName,
                    $"no {bank.BankName} digest in this event"));
                continue;
            }

            extender.Extend(state.AsSpan((int)e.PcrIndex * size, size), digest.Span);
            extended |= 1u << (int)e.PcrIndex;
        }

        var pcrs = new SortedList<int, byte[]>(System.Numerics.BitOperations.PopCount(extended));
        for (int p = 0; p < PcrInitialValues.PcrCount; p++)
        {
            if ((extended & (1u << p)) != 0)
            {
                pcrs.Add(p, state.AsSpan(p * size, size).ToArray());
            }
        }
        return new ReplayedBank { AlgorithmId = alg, Pcrs = pcrs };
    }
}
