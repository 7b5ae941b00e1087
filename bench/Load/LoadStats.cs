using System.Diagnostics;
using KcryptPush.Contracts.V1;

namespace KcryptPush.Bench.Load;

/// <summary>
/// Latencies and verdicts of the normal nodes, from many workers, by phase: an attestation belongs to
/// the phase in which it started (closed loop) or was scheduled (open loop), wherever it ends. Also
/// what has happened since the last progress line.
/// </summary>
internal sealed class LoadStats
{
    private readonly Lock _gate = new();
    private readonly List<LoadPhase> _phases = [];
    private List<double> _interval = [];
    private int _intervalProblems;

    public IReadOnlyList<LoadPhase> Phases
    {
        get
        {
            lock (_gate)
            {
                return [.. _phases];
            }
        }
    }

    /// <summary>The phase running now, if any.</summary>
    public LoadPhase? Active
    {
        get
        {
            lock (_gate)
            {
                return _phases.LastOrDefault(p => p.EndTs == long.MaxValue);
            }
        }
    }

    public LoadPhase Begin(string name)
    {
        lock (_gate)
        {
            var p = new LoadPhase(name, Stopwatch.GetTimestamp());
            _phases.Add(p);
            return p;
        }
    }

    public void End(LoadPhase phase)
    {
        lock (_gate)
        {
            phase.EndTs = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>An attestation started (or scheduled) at <paramref name="startedTs"/> ended now with <paramref name="result"/>.</summary>
    public void Record(long startedTs, AttestationResult result)
    {
        long now = Stopwatch.GetTimestamp();
        double ms = Stopwatch.GetElapsedTime(startedTs, now).TotalMilliseconds;
        lock (_gate)
        {
            _interval.Add(ms);
            if (PhaseOf(now) is { } ended)
            {
                ended.Completed++;
            }

            if (PhaseOf(startedTs) is { } p)
            {
                p.Millis.Add(ms);
                p.Verdicts[result.Verdict] = p.Verdicts.GetValueOrDefault(result.Verdict) + 1;
                foreach (AttestationReason r in result.Reasons ?? [])
                {
                    p.Reasons[r.Code] = p.Reasons.GetValueOrDefault(r.Code) + 1;
                }
            }
        }
    }

    /// <summary>An attestation started at <paramref name="startedTs"/> got no answer, or an error instead (<paramref name="what"/>: timeout, fault, refused:CODE).</summary>
    public void Problem(long startedTs, string what)
    {
        lock (_gate)
        {
            _intervalProblems++;
            if (PhaseOf(startedTs) is { } p)
            {
                p.Problems[what] = p.Problems.GetValueOrDefault(what) + 1;
            }
        }
    }

    /// <summary>
    /// An attestation started (or scheduled) at <paramref name="startedTs"/> was still waiting or open
    /// when the run was abandoned: its age now is a lower bound of its latency, and counts in the
    /// percentiles (leaving it out would hide exactly the slowest ones).
    /// </summary>
    public void Unfinished(long startedTs)
    {
        double ms = Stopwatch.GetElapsedTime(startedTs).TotalMilliseconds;
        lock (_gate)
        {
            if (PhaseOf(startedTs) is { } p)
            {
                p.UnfinishedMillis.Add(ms);
                p.Problems["unfinished"] = p.Problems.GetValueOrDefault("unfinished") + 1;
            }
        }
    }

    /// <summary>Open loop: an attestation was scheduled for <paramref name="scheduledTs"/>.</summary>
    public void Offered(long scheduledTs)
    {
        lock (_gate)
        {
            if (PhaseOf(scheduledTs) is { } p)
            {
                p.Offered++;
            }
        }
    }

    /// <summary>The verifier's resident set now, for the peak of the running phase.</summary>
    public void ObserveRss(long bytes)
    {
        lock (_gate)
        {
            foreach (LoadPhase p in _phases)
            {
                if (p.EndTs == long.MaxValue)
                {
                    p.PeakRssBytes = Math.Max(p.PeakRssBytes, bytes);
                }
            }
        }
    }

    /// <summary>The latencies and problems since the last call.</summary>
    public (List<double> Millis, int Problems) TakeInterval()
    {
        lock (_gate)
        {
            (List<double> millis, int problems) = (_interval, _intervalProblems);
            _interval = [];
            _intervalProblems = 0;
            return (millis, problems);
        }
    }

    private LoadPhase? PhaseOf(long ts)
    {
        foreach (LoadPhase p in _phases)
        {
            if (ts >= p.StartTs && ts < p.EndTs)
            {
                return p;
            }
        }

        return null;
    }
}

/// <summary>One measured phase: the normal nodes' attestations, the verifier's CPU and RSS, the flood's work.</summary>
internal sealed class LoadPhase(string name, long startTs)
{
    public string Name { get; } = name;

    public long StartTs { get; } = startTs;

    public long EndTs { get; set; } = long.MaxValue;

    public TimeSpan Length => Stopwatch.GetElapsedTime(StartTs, EndTs);

    /// <summary>Latencies of the attestations begun (or scheduled) in the phase and answered, whenever.</summary>
    public List<double> Millis { get; } = [];

    /// <summary>Attestations answered within the phase, whenever begun: the throughput.</summary>
    public long Completed { get; set; }

    /// <summary>Ages of the attestations abandoned at the end (lower bounds of their latency).</summary>
    public List<double> UnfinishedMillis { get; } = [];

    /// <summary>The latencies the percentiles are taken over, ascending: answered ones and the unfinished lower bounds.</summary>
    public double[] SortedLatencies() => [.. Millis.Concat(UnfinishedMillis).Order()];

    public Dictionary<string, int> Verdicts { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, int> Reasons { get; } = new(StringComparer.Ordinal);

    /// <summary>timeout, fault, refused:CODE, unfinished (still waiting or open when the run was abandoned).</summary>
    public Dictionary<string, int> Problems { get; } = new(StringComparer.Ordinal);

    /// <summary>Open loop: attestations scheduled in the phase.</summary>
    public long Offered { get; set; }

    public long? CpuTicksStart { get; set; }

    public long? CpuTicksEnd { get; set; }

    public long RssStartBytes { get; set; }

    public long PeakRssBytes { get; set; }

    public FloodCounts? Flood { get; set; }

    public int Errors => Problems.Values.Sum() + Verdicts.Where(v => v.Key != AttestationVerdicts.Pass).Sum(v => v.Value);
}

/// <summary>Percentiles of latencies (nearest rank).</summary>
internal static class Percentile
{
    /// <summary>The <paramref name="q"/> quantile of <paramref name="sorted"/> (ascending); NaN when empty.</summary>
    public static double Of(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}
