using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Hashing;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Replay;

/// <summary>
/// Compares replayed PCR values with actual ones (from a verified quote): which PCRs match,
/// which do not (with replayed and actual values and the events of that PCR), and which match only
/// through a named <see cref="EventLogWorkarounds"/> entry.
/// </summary>
public static class ReplayVerifier
{
    /// <summary>Checks every PCR the log extends in every bank that <paramref name="actual"/> has.</summary>
    /// <param name="log">The parsed log (to list the events of a failing PCR).</param>
    /// <param name="replayed">Its replay.</param>
    /// <param name="actual">Actual PCR values per bank, e.g. from a quote.</param>
    public static ReplayVerification Verify(
        ParsedEventLog log,
        ReplayResult replayed,
        IReadOnlyDictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> actual)
        => Verify(log, replayed, actual, EventLogWorkarounds.All);

    /// <summary>As <see cref="Verify(ParsedEventLog, ReplayResult, IReadOnlyDictionary{TpmAlgId, IReadOnlyDictionary{int, byte[]}})"/>
    /// with a given workaround table (empty for a strict check).</summary>
    public static ReplayVerification Verify(
        ParsedEventLog log,
        ReplayResult replayed,
        IReadOnlyDictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> actual,
        IReadOnlyList<EventLogWorkaround> workarounds)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(replayed);
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(workarounds);

        var checks = new List<PcrCheck>();
        var unchecked_ = new List<string>();
        foreach (ReplayedBank bank in replayed.Banks)
        {
            if (!actual.TryGetValue((TpmAlgId)bank.AlgorithmId, out IReadOnlyDictionary<int, byte[]>? actualBank))
            {
                unchecked_.Add(bank.Name);
                continue;
            }
            foreach ((int pcr, byte[] value) in bank.Pcrs)
            {
                checks.Add(Check(log, bank, pcr, value, actualBank, workarounds));
            }
        }
        return new ReplayVerification { Checks = checks, UncheckedBanks = unchecked_ };
    }

    private static PcrCheck Check(
        ParsedEventLog log, ReplayedBank bank, int pcr, byte[] value,
        IReadOnlyDictionary<int, byte[]> actualBank, IReadOnlyList<EventLogWorkaround> workarounds)
    {
        if (!actualBank.TryGetValue(pcr, out byte[]? actual))
        {
            return new PcrCheck
            {
                Bank = bank.Name, AlgorithmId = bank.AlgorithmId, Pcr = pcr,
                Status = PcrCheckStatus.NotInActual, Replayed = value, Actual = null,
            };
        }
        if (value.AsSpan().SequenceEqual(actual))
        {
            return new PcrCheck
            {
                Bank = bank.Name, AlgorithmId = bank.AlgorithmId, Pcr = pcr,
                Status = PcrCheckStatus.Matched, Replayed = value, Actual = actual,
            };
        }

        IReadOnlyList<int> events = EventsOf(log, pcr);
        foreach (EventLogWorkaround w in workarounds)
        {
            if (w.AffectedPcr == pcr && Apply(bank.AlgorithmId, value, w).AsSpan().SequenceEqual(actual))
            {
                return new PcrCheck
                {
                    Bank = bank.Name, AlgorithmId = bank.AlgorithmId, Pcr = pcr,
                    Status = PcrCheckStatus.MatchedOnlyWithWorkaround, Replayed = value, Actual = actual,
                    Workaround = w.Id, EventIndices = events,
                };
            }
        }
        return new PcrCheck
        {
            Bank = bank.Name, AlgorithmId = bank.AlgorithmId, Pcr = pcr,
            Status = PcrCheckStatus.Mismatched, Replayed = value, Actual = actual, EventIndices = events,
        };
    }

    /// <summary>Extends <paramref name="value"/> with H(data) of each appended event.</summary>
    private static byte[] Apply(ushort alg, byte[] value, EventLogWorkaround workaround)
    {
        int size = value.Length;
        var pcr = (byte[])value.Clone();
        Span<byte> digest = stackalloc byte[TpmAlgorithms.MaxDigestSize];
        using PcrExtender extender = PcrExtender.Create(alg);
        foreach (MissingEvent e in workaround.AppendedEvents)
        {
            TcgAlgorithms.Hash(alg, e.Data, digest.Slice(0, size));
            extender.Extend(pcr, digest.Slice(0, size));
        }
        return pcr;
    }

    private static List<int> EventsOf(ParsedEventLog log, int pcr)
    {
        var list = new List<int>();
        foreach (UntrustedEvent e in log.UntrustedEvents)
        {
            if (e.PcrIndex == (uint)pcr && e.EventType != TcgEventType.EV_NO_ACTION)
            {
                list.Add(e.Index);
            }
        }
        return list;
    }
}
