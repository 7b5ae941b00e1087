using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace KcryptPush.Registrar.Enrolment;

/// <summary>
/// Counters of the registrar (System.Diagnostics.Metrics meter <c>KcryptPush.Registrar</c>):
/// <c>kcrypt_push_registrar_rejections</c> (tag <c>reason</c>) and
/// <c>kcrypt_push_registrar_enrolments</c>; also kept in memory for status output and tests.
/// </summary>
public sealed class RegistrarMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "KcryptPush.Registrar";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _rejections;
    private readonly Counter<long> _enrolments;
    private readonly ConcurrentDictionary<string, long> _byReason = new(StringComparer.Ordinal);
    private long _enrolled;

    /// <summary>Creates the counters.</summary>
    public RegistrarMetrics()
    {
        _rejections = _meter.CreateCounter<long>("kcrypt_push_registrar_rejections", description: "Rejected enrolment requests");
        _enrolments = _meter.CreateCounter<long>("kcrypt_push_registrar_enrolments", description: "Successful enrolments");
    }

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
        _rejections.Add(1, new KeyValuePair<string, object?>("reason", reasonCode));
    }

    /// <summary>Counts an enrolment.</summary>
    public void CountEnrolment()
    {
        Interlocked.Increment(ref _enrolled);
        _enrolments.Add(1);
    }

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();
}
