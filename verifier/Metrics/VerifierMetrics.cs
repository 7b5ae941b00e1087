using System.Diagnostics.Metrics;

namespace KcryptPush.Verifier.Metrics;

/// <summary>The verifier's instruments (meter <c>KcryptPush.Verifier</c>), exported at /metrics.</summary>
public sealed class VerifierMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "KcryptPush.Verifier";

    private readonly Meter _meter = new(MeterName);

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();
}
