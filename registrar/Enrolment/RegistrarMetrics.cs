using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace KcryptPush.Registrar.Enrolment;

/// <summary>
/// Counters of the registrar (System.Diagnostics.Metrics meter <c>KcryptPush.Registrar</c>, exported
/// at /metrics): <c>kcrypt_push_enrolments_total{outcome="enrolled|rejected",reason}</c> (reason:
/// the rejection's reason code, "" when enrolled); also kept in memory for status output and tests.
/// </summary>
public sealed class RegistrarMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "KcryptPush.Registrar";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _enrolments;
    private readonly ConcurrentDictionary<string, long> _byReason = new(StringComparer.Ordinal);
    private long _enrolled;

    /// <summary>Creates the counters.</summary>
    public RegistrarMetrics()
    {
        _enrolments = _meter.CreateCounter<long>("kcrypt_push_enrolments_total",
            description: "Enrolment requests answered, by outcome (enrolled, rejected) and the rejection's reason code (\"\" when enrolled)");
    }

    /// <summary>The meter (tests listen to this instance's alone).</summary>
    internal Meter Meter => _meter;

    /// <summary>Total rejections.</summary>
    public long Rejected => _byReason.Values.Sum();

    /// <summary>Total enrolments.</summary>
    public long Enrolled => Interlocked.Read(ref _enrolled);

    /// <summary>Rejections for one reason code.</summary>
    public long RejectedFor(string reasonCode) => _byReason.GetValueOrDefault(reasonCode);

    /// <summary>Rejections so far, per reason code (a snapshot).</summary>
    public IReadOnlyDictionary<string, long> RejectionsByReason() => new Dictionary<string, long>(_byReason, StringComparer.Ordinal);

    /// <summary>Counts a rejection.</summary>
    public void CountRejection(string reasonCode)
    {
        _byReason.AddOrUpdate(reasonCode, 1, (_, n) => n + 1);
        _enrolments.Add(1, new KeyValuePair<string, object?>("outcome", "rejected"), new KeyValuePair<string, object?>("reason", reasonCode));
    }

    /// <summary>Counts an enrolment.</summary>
    public void CountEnrolment()
    {
        Interlocked.Increment(ref _enrolled);
        _enrolments.Add(1, new KeyValuePair<string, object?>("outcome", "enrolled"), new KeyValuePair<string, object?>("reason", ""));
    }

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();
}
