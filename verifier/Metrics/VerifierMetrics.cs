using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace KcryptPush.Verifier.Metrics;

/// <summary>
/// The verifier's instruments (meter <c>KcryptPush.Verifier</c>, exported at /metrics; README
/// "Observe" lists them). Only counters and histograms are touched on the attestation path, with
/// tags that are constants (verdicts, reason codes, stage names), so recording allocates nothing;
/// the gauges are read from <see cref="FleetGauges"/> when scraped.
/// </summary>
public sealed class VerifierMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "KcryptPush.Verifier";

    /// <summary>The <c>verdict</c> of a message answered without being judged (unknown node, forged or replayed, rate limited, terminated).</summary>
    public const string Rejected = "rejected";

    // Seconds: a stage takes microseconds (policy) to tens of milliseconds (a large log's replay under load).
    private static readonly double[] DurationBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _attestations;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _logs;
    private readonly Counter<long> _logBytes;
    private readonly Counter<long> _published;

    /// <summary>Creates the instruments.</summary>
    public VerifierMetrics()
    {
        _attestations = _meter.CreateCounter<long>("kcrypt_push_attestations_total",
            description: "QuoteSubmitted messages answered, by verdict (pass, fail, retry, rejected) and the first reason code (\"\" on pass and retry); redeliveries are not counted again");
        _duration = _meter.CreateHistogram("kcrypt_push_verification_duration_seconds", unit: null,
            description: "Time of one verification stage: quote (signature and binding), replay (parse and replay the event log), policy (every policy), store (node record and history written)",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _logs = _meter.CreateCounter<long>("kcrypt_push_event_logs_received_total",
            description: "QuoteSubmitted messages that carried an event log");
        _logBytes = _meter.CreateCounter<long>("kcrypt_push_event_log_bytes_total",
            description: "Bytes of the event logs received");
        _published = _meter.CreateCounter<long>("kcrypt_push_verdict_events_published_total",
            description: "Verdict events the broker confirmed, by type (NodeTrusted, NodeQuarantined, NodeSilent, NodeTerminated, NodeReleased)");
    }

    /// <summary>The challenges open now (<c>kcrypt_push_challenges_outstanding</c>).</summary>
    public ChallengeLedger Challenges { get; } = new();

    /// <summary>The meter, for the gauges read at scrape time.</summary>
    internal Meter Meter => _meter;

    /// <summary>Counts one answered QuoteSubmitted.</summary>
    public void Attested(string verdict, string reason) =>
        _attestations.Add(1, new KeyValuePair<string, object?>("verdict", verdict), new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Records how long <paramref name="stage"/> took since <paramref name="startTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public void StageTook(string stage, long startTimestamp) => StageTook(stage, Stopwatch.GetElapsedTime(startTimestamp));

    /// <summary>Records how long <paramref name="stage"/> took.</summary>
    public void StageTook(string stage, TimeSpan elapsed) =>
        _duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));

    /// <summary>Counts an event log that arrived in a message.</summary>
    public void EventLogReceived(int bytes)
    {
        _logs.Add(1);
        _logBytes.Add(bytes);
    }

    /// <summary>Counts a verdict event the broker confirmed.</summary>
    public void VerdictPublished(string type) => _published.Add(1, new KeyValuePair<string, object?>("type", type));

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();
}
