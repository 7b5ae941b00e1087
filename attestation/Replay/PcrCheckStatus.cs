namespace KcryptPush.Attestation.Replay;

/// <summary>How one replayed PCR compares with the actual (quoted) value.</summary>
public enum PcrCheckStatus
{
    /// <summary>The replayed value equals the actual value.</summary>
    Matched,

    /// <summary>The replayed value differs, but equals it once a known firmware quirk's missing
    /// events are appended (see <see cref="EventLogWorkarounds"/>). Not a silent pass: the
    /// workaround is named.</summary>
    MatchedOnlyWithWorkaround,

    /// <summary>The replayed value differs and no workaround explains it.</summary>
    Mismatched,

    /// <summary>The actual values have this bank but not this PCR: it could not be checked.</summary>
    NotInActual,
}
