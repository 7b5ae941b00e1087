using System.Diagnostics.Metrics;
using KcryptPush.Registrar.Enrolment;

namespace KcryptPush.Registrar.Tests.Observe;

/// <summary><c>kcrypt_push_enrolments_total{outcome,reason}</c> as an exporter sees it (a MeterListener on the registrar's meter).</summary>
[Trait("Category", "Unit")]
public sealed class RegistrarMetricsTests
{
    [Fact]
    public void Enrolments_and_rejections_are_one_counter_told_apart_by_outcome_and_reason()
    {
        using var metrics = new RegistrarMetrics();
        var seen = new List<(string Instrument, long Value, string Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == metrics.Meter)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            seen.Add((instrument.Name, value, string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}")))));
        listener.Start();

        metrics.CountEnrolment();
        metrics.CountRejection("ek-certificate-untrusted");
        metrics.CountRejection("rate-limited");

        Assert.Equal(
            [
                ("kcrypt_push_enrolments_total", 1L, "outcome=enrolled,reason="),
                ("kcrypt_push_enrolments_total", 1L, "outcome=rejected,reason=ek-certificate-untrusted"),
                ("kcrypt_push_enrolments_total", 1L, "outcome=rejected,reason=rate-limited"),
            ],
            seen);
        Assert.Equal(1, metrics.Enrolled);
        Assert.Equal(2, metrics.Rejected);
        Assert.Equal(RegistrarMetrics.MeterName, metrics.Meter.Name);
    }
}
