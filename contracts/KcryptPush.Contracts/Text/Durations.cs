using System.Globalization;

namespace KcryptPush.Contracts.Text;

/// <summary>
/// The one duration grammar of every command line, environment variable and setting that takes a
/// duration (<c>--interval</c>, <c>--timeout</c>, <c>Verifier:ChallengeExpiry</c>, the load
/// generator's phases), so that the agent and the verifier read <c>KCRYPTPUSH_INTERVAL</c> alike.
/// <list type="bullet">
/// <item>a decimal number and an optional unit: <c>500ms</c>, <c>60s</c>, <c>2m</c>, <c>1h</c>, <c>1.5m</c>;
/// no unit means seconds (<c>45</c>); units are case-insensitive (<c>60S</c>). The number is ASCII
/// digits with at most one decimal point between digits: no sign, no exponent (<c>1e3s</c>), no
/// thousands separator (<c>1,000s</c>), no other script's digits, no NaN or Infinity, no space
/// before the unit;</item>
/// <item>or <c>hh:mm:ss</c> with an optional fraction of a second (<c>00:01:00</c>, <c>0:00:00.5</c>):
/// minutes and seconds two digits each, below 60; no days part and no sign;</item>
/// <item>surrounding whitespace is ignored; the value is rounded to the nearest tick (100 ns) and must be
/// strictly positive and at most <see cref="Max"/>.</item>
/// </list>
/// Pure and reflection-free: the agent is published NativeAOT.
/// </summary>
public static class Durations
{
    /// <summary>
    /// The longest duration accepted: 7 days. Every duration here is an attestation interval, a
    /// challenge expiry or a command's timeout, where more than a week is a typo (<c>60h</c> for
    /// <c>60s</c>, a missing unit on milliseconds), and each ends up in timers that refuse more than
    /// about 49.7 days (<see cref="Task.Delay(TimeSpan)"/>, <see cref="CancellationTokenSource"/>)
    /// or is multiplied first (the default challenge expiry is two intervals).
    /// </summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(7);

    /// <summary>Examples for messages.</summary>
    public const string Examples = "e.g. 60s, 2m, 00:01:00";

    // Beyond this many integer digits even milliseconds exceed Max (10^10 ms > 115 days), so the
    // value is refused as too long without risking a decimal overflow.
    private const int MaxIntegerDigits = 10;

    // Ticks carry 7 decimal places of a second; more fraction digits than milliseconds need are only rounded.
    private const int MaxFractionDigits = 16;

    private enum Problem
    {
        None,
        Syntax,
        NotPositive,
        TooLong,
    }

    /// <summary>Parses a duration in the grammar above.</summary>
    /// <param name="text">The text; null or blank is refused.</param>
    /// <param name="value">The duration, or <see cref="TimeSpan.Zero"/> when refused.</param>
    /// <returns>Whether <paramref name="text"/> is a duration in the grammar, positive and at most <see cref="Max"/>.</returns>
    public static bool TryParse(string? text, out TimeSpan value) => Read(text, out value) == Problem.None;

    /// <summary>Parses a duration in the grammar above.</summary>
    /// <param name="text">The text.</param>
    /// <param name="what">The option or setting it came from, named in the message (<c>--timeout</c>, <c>Verifier:Interval</c>).</param>
    /// <exception cref="FormatException">Not a duration, not positive, or longer than <see cref="Max"/>; the message names <paramref name="what"/> and gives an example.</exception>
    public static TimeSpan Parse(string? text, string what) => Read(text, out TimeSpan value) switch
    {
        Problem.None => value,
        Problem.NotPositive => throw new FormatException($"{what}: '{text}' must be positive ({Examples})"),
        Problem.TooLong => throw new FormatException($"{what}: '{text}' is longer than {Max.TotalDays:0} days ({Examples})"),
        _ => throw new FormatException($"{what}: '{text}' is not a duration ({Examples})"),
    };

    private static Problem Read(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        ReadOnlySpan<char> t = (text ?? string.Empty).AsSpan().Trim();
        Problem problem = t.Contains(':') ? ReadClock(t, out decimal ticks) : ReadNumber(t, out ticks);
        if (problem != Problem.None)
        {
            return problem;
        }

        ticks = Math.Round(ticks, MidpointRounding.AwayFromZero);
        if (ticks <= 0)
        {
            return Problem.NotPositive;
        }

        if (ticks > Max.Ticks)
        {
            return Problem.TooLong;
        }

        value = TimeSpan.FromTicks((long)ticks);
        return Problem.None;
    }

    // <number>[ms|s|m|h]
    private static Problem ReadNumber(ReadOnlySpan<char> t, out decimal ticks)
    {
        ticks = 0;
        (int unitLength, long unitTicks) = t switch
        {
            _ when t.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (2, TimeSpan.TicksPerMillisecond),
            _ when t.EndsWith("s", StringComparison.OrdinalIgnoreCase) => (1, TimeSpan.TicksPerSecond),
            _ when t.EndsWith("m", StringComparison.OrdinalIgnoreCase) => (1, TimeSpan.TicksPerMinute),
            _ when t.EndsWith("h", StringComparison.OrdinalIgnoreCase) => (1, TimeSpan.TicksPerHour),
            _ => (0, TimeSpan.TicksPerSecond),
        };
        Problem problem = ReadDecimal(t[..^unitLength], MaxIntegerDigits, out decimal number);
        ticks = problem == Problem.None ? number * unitTicks : 0;
        return problem;
    }

    // hh:mm:ss[.fraction]
    private static Problem ReadClock(ReadOnlySpan<char> t, out decimal ticks)
    {
        ticks = 0;
        int first = t.IndexOf(':');
        int second = t[(first + 1)..].IndexOf(':') + first + 1;
        if (second <= first || t[(second + 1)..].Contains(':'))
        {
            return Problem.Syntax;
        }

        ReadOnlySpan<char> hh = t[..first], mm = t[(first + 1)..second], ss = t[(second + 1)..];
        int secondsDigits = ss.IndexOf('.') is int dot and >= 0 ? dot : ss.Length;
        if (mm.Length != 2 || secondsDigits != 2)
        {
            return Problem.Syntax;
        }

        Problem problem = ReadDecimal(hh, MaxIntegerDigits, out decimal hours, allowFraction: false);
        if (problem == Problem.None)
        {
            problem = ReadDecimal(mm, 2, out decimal minutes, allowFraction: false);
            if (problem == Problem.None)
            {
                problem = ReadDecimal(ss, 2, out decimal seconds);
                if (problem == Problem.None && (minutes >= 60 || seconds >= 60))
                {
                    problem = Problem.Syntax;
                }

                ticks = (hours * TimeSpan.TicksPerHour) + (minutes * TimeSpan.TicksPerMinute) + (seconds * TimeSpan.TicksPerSecond);
            }
        }

        return problem;
    }

    // ASCII digits, then optionally '.' and ASCII digits. Checked by hand because every
    // NumberStyles lets something through that is not in the grammar (signs, exponents, other
    // scripts' digits through char.IsDigit, "NaN"/"Infinity" with Float).
    private static Problem ReadDecimal(ReadOnlySpan<char> s, int maxIntegerDigits, out decimal value, bool allowFraction = true)
    {
        value = 0;
        int dot = s.IndexOf('.');
        ReadOnlySpan<char> integer = dot < 0 ? s : s[..dot];
        ReadOnlySpan<char> fraction = dot < 0 ? [] : s[(dot + 1)..];
        if (integer.IsEmpty || !AllAsciiDigits(integer) || (dot >= 0 && (!allowFraction || fraction.IsEmpty || !AllAsciiDigits(fraction))))
        {
            return Problem.Syntax;
        }

        // Leading zeros do not make a number long.
        ReadOnlySpan<char> significant = integer.TrimStart('0');
        if (significant.Length > maxIntegerDigits)
        {
            return Problem.TooLong;
        }

        if (fraction.Length > MaxFractionDigits)
        {
            fraction = fraction[..MaxFractionDigits];
        }

        string digits = string.Concat(significant.IsEmpty ? "0" : significant, fraction.IsEmpty ? "" : ".", fraction);
        value = decimal.Parse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        return Problem.None;
    }

    private static bool AllAsciiDigits(ReadOnlySpan<char> s) => !s.ContainsAnyExceptInRange('0', '9');
}
