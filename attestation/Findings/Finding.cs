namespace KcryptPush.Attestation.Findings;

/// <summary>
/// One observation made while verifying evidence: a stable machine-readable code (e.g.
/// <c>QuoteSignatureInvalid</c>, see <see cref="Quotes.QuoteFindingCodes"/>), its severity and a
/// message for operators. Verdicts are lists of findings, not a bool.
/// </summary>
/// <param name="Code">Stable identifier; callers and policies match on it.</param>
/// <param name="Severity">Whether it fails the verification.</param>
/// <param name="Message">Human-readable detail (values, offsets).</param>
public sealed record Finding(string Code, FindingSeverity Severity, string Message)
{
    /// <summary>True for <see cref="FindingSeverity.Failure"/>.</summary>
    public bool IsFailure => Severity == FindingSeverity.Failure;

    /// <summary>A failure finding.</summary>
    public static Finding Failure(string code, string message) => new(code, FindingSeverity.Failure, message);

    /// <summary>A warning finding.</summary>
    public static Finding Warning(string code, string message) => new(code, FindingSeverity.Warning, message);

    /// <summary>An informational finding.</summary>
    public static Finding Info(string code, string message) => new(code, FindingSeverity.Info, message);

    /// <inheritdoc/>
    public override string ToString() => $"{Severity} {Code}: {Message}";
}
