using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Replay;

namespace KcryptPush.Attestation.Evidence;

/// <summary>
/// The events of a log that replayed to quoted PCR values: the only form of a log a policy decides on.
/// Made only by <see cref="EvidenceVerifier"/>: an event is here when its PCR was replayed in at least one
/// quoted bank, matched the quoted value (or matched only through a named workaround) in every quoted bank
/// it was replayed in, and the event carries a digest in one of those banks. EV_NO_ACTION records (never
/// extended) and events on PCRs no quote covers are left out; so are all events of a PCR that did not
/// replay, while the events of the PCRs that did are kept.
/// </summary>
public sealed class VerifiedEventLog
{
    private readonly Dictionary<int, UntrustedEvent> _byIndex;

    internal VerifiedEventLog(ParsedEventLog log, ReplayVerification replay, byte pcr0StartLocality)
    {
        Format = log.Format;
        Banks = log.Banks;
        Replay = replay;
        Pcr0StartLocality = pcr0StartLocality;

        // PCR -> whether every quoted bank it was replayed in matched, and the banks it matched in.
        var matchedIn = new Dictionary<int, List<ushort>>();
        var broken = new HashSet<int>();
        foreach (PcrCheck c in replay.Checks)
        {
            if (c.Status is PcrCheckStatus.Matched or PcrCheckStatus.MatchedOnlyWithWorkaround)
            {
                (matchedIn.TryGetValue(c.Pcr, out List<ushort>? banks) ? banks : matchedIn[c.Pcr] = []).Add(c.AlgorithmId);
            }
            else
            {
                broken.Add(c.Pcr);
            }
        }

        var events = new List<UntrustedEvent>();
        foreach (UntrustedEvent e in log.UntrustedEvents)
        {
            if (e.EventType == TcgEventType.EV_NO_ACTION || e.PcrIndex >= PcrInitialValues.PcrCount
                || broken.Contains((int)e.PcrIndex) || !matchedIn.TryGetValue((int)e.PcrIndex, out List<ushort>? matched))
            {
                continue;
            }

            foreach (ushort bank in matched)
            {
                if (e.TryGetDigest(bank, out _))
                {
                    events.Add(e);
                    break;
                }
            }
        }

        Events = events;
        _byIndex = events.ToDictionary(e => e.Index);
        Pcrs = matchedIn.Keys.Where(p => !broken.Contains(p)).Order().ToArray();
    }

    /// <summary>Record layout of the log.</summary>
    public EventLogFormat Format { get; }

    /// <summary>The banks the log carries digests for (from its Spec ID event; what the log claims).</summary>
    public IReadOnlyList<SpecIdAlgorithm> Banks { get; }

    /// <summary>The verified events, in log order (each keeps its index in the log).</summary>
    public IReadOnlyList<UntrustedEvent> Events { get; }

    /// <summary>The PCRs whose events replayed to the quoted values in every quoted bank they were replayed in.</summary>
    public IReadOnlyList<int> Pcrs { get; }

    /// <summary>The replay of the whole log against the quoted values, PCR by PCR (what matched, what did not).</summary>
    public ReplayVerification Replay { get; }

    /// <summary>The locality PCR 0 started from (StartupLocality or H-CRTM), as the replay used it.</summary>
    public byte Pcr0StartLocality { get; }

    /// <summary>The verified event at log position <paramref name="index"/>, if it is one.</summary>
    public bool TryGet(int index, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out UntrustedEvent? e) => _byIndex.TryGetValue(index, out e);
}
