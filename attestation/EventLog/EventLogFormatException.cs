namespace KcryptPush.Attestation.EventLog;

/// <summary>
/// The one exception the TCG PC Client event log parser throws for malformed input: the log
/// ends early, a declared length runs past the buffer, a field exceeds its cap, or a value the
/// spec fixes has another value. <see cref="Offset"/> is the byte offset in the log where the
/// reader was when it found the problem; <see cref="Expected"/> says what it expected there.
/// </summary>
public sealed class EventLogFormatException : FormatException
{
    /// <summary>Creates the exception for a problem at <paramref name="offset"/>.</summary>
    public EventLogFormatException(long offset, string expected)
        : base($"malformed event log at byte offset {offset}: expected {expected}")
    {
        Offset = offset;
        Expected = expected;
    }

    /// <summary>Byte offset in the event log where parsing failed.</summary>
    public long Offset { get; }

    /// <summary>What the parser expected at <see cref="Offset"/>.</summary>
    public string Expected { get; }
}
