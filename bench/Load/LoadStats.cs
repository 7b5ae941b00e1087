using System.Globalization;
using KcryptPush.Contracts.V1;

namespace KcryptPush.Bench.Load;

/// <summary>Latencies and verdicts of the measured window, from many workers.</summary>
internal sealed class LoadStats
{
    private readonly Lock _gate = new();
    private readonly List<double> _millis = [];
    private readonly Dictionary<string, int> _verdicts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _reasons = new(StringComparer.Ordinal);
    private int _timeouts;

    public int Passed
    {
        get
        {
            lock (_gate)
            {
                return _verdicts.GetValueOrDefault(AttestationVerdicts.Pass);
            }
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _millis.Clear();
            _verdicts.Clear();
            _reasons.Clear();
            _timeouts = 0;
        }
    }

    public void Record(TimeSpan latency, AttestationResult result)
    {
        lock (_gate)
        {
            _millis.Add(latency.TotalMilliseconds);
            _verdicts[result.Verdict] = _verdicts.GetValueOrDefault(result.Verdict) + 1;
            foreach (AttestationReason r in result.Reasons ?? [])
            {
                _reasons[r.Code] = _reasons.GetValueOrDefault(r.Code) + 1;
            }
        }
    }

    public void Timeout(bool measuring)
    {
        if (measuring)
        {
            Interlocked.Increment(ref _timeouts);
        }
    }

    public void Print(TimeSpan measured, int nodes)
    {
        lock (_gate)
        {
            double[] sorted = [.. _millis.Order()];
            string P(double q) => sorted.Length == 0 ? "-" : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)].ToString("0.0", CultureInfo.InvariantCulture);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"load: {sorted.Length} attestations in {measured.TotalSeconds:0.0}s by {nodes} nodes = {sorted.Length / measured.TotalSeconds:0.0}/s"));
            Console.WriteLine($"load: QuoteSubmitted → AttestationResult latency ms: median {P(0.5)}, p95 {P(0.95)}, p99 {P(0.99)}, max {(sorted.Length == 0 ? "-" : sorted[^1].ToString("0.0", CultureInfo.InvariantCulture))}");
            Console.WriteLine($"load: verdicts {string.Join(", ", _verdicts.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key} {v.Value}"))}; timeouts {_timeouts}");
            if (_reasons.Count > 0)
            {
                Console.WriteLine($"load: reasons {string.Join(", ", _reasons.OrderByDescending(r => r.Value).Take(5).Select(r => $"{r.Key} {r.Value}"))}");
            }
        }
    }
}
