using System.Globalization;
using KcryptPush.Contracts.Text;

namespace KcryptPush.Registrar.Tests;

/// <summary>
/// The one duration grammar (contracts/Text/Durations.cs) that the agent, the verifier and the load
/// generator now share: what it accepts, what it refuses, and why, as tables. Kept beside
/// <see cref="SlidingWindowCounterTests"/>, the Contracts' other shared piece.
/// </summary>
[Trait("Category", "Unit")]
public sealed class DurationsTests
{
    [Theory]
    [InlineData("60s", 60_000)]
    [InlineData("90s", 90_000)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("500ms", 500)]
    [InlineData("45", 45_000)]
    [InlineData("1.5m", 90_000)]
    [InlineData("0.5", 500)]
    [InlineData("2.25s", 2_250)]
    [InlineData("007s", 7_000)]
    [InlineData("60S", 60_000)]
    [InlineData("500MS", 500)]
    [InlineData("500Ms", 500)]
    [InlineData("2M", 120_000)]
    [InlineData("1H", 3_600_000)]
    [InlineData("  60s\t", 60_000)]
    [InlineData("\n2m ", 120_000)]
    [InlineData("00:01:00", 60_000)]
    [InlineData("0:00:30", 30_000)]
    [InlineData("01:30:15", 5_415_000)]
    [InlineData("0:00:00.5", 500)]
    [InlineData("0:00:00.100", 100)]
    [InlineData(" 00:00:05 ", 5_000)]
    [InlineData("168:00:00", 604_800_000)]
    public void Accepted_durations_have_the_value_they_say(string text, long milliseconds)
    {
        Assert.True(Durations.TryParse(text, out TimeSpan value), text);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
        Assert.Equal(value, Durations.Parse(text, "--interval"));
    }

    [Theory]
    [InlineData("168h", 7)]
    [InlineData("10080m", 7)]
    [InlineData("604800", 7)]
    [InlineData("604800s", 7)]
    [InlineData("604800000ms", 7)]
    public void Exactly_seven_days_is_the_longest(string text, int days)
    {
        Assert.True(Durations.TryParse(text, out TimeSpan value), text);
        Assert.Equal(TimeSpan.FromDays(days), value);
        Assert.Equal(Durations.Max, value);
    }

    [Fact]
    public void Sub_tick_fractions_round_to_the_nearest_tick()
    {
        Assert.True(Durations.TryParse("0.00000015s", out TimeSpan up));
        Assert.Equal(TimeSpan.FromTicks(2), up);
        Assert.True(Durations.TryParse("1.23456789012345678901234567890s", out TimeSpan many));
        Assert.Equal(TimeSpan.FromTicks(12_345_679), many);
    }

    [Theory]
    // Not the grammar.
    [InlineData("", "is not a duration")]
    [InlineData("   ", "is not a duration")]
    [InlineData("s", "is not a duration")]
    [InlineData("ms", "is not a duration")]
    [InlineData("soon", "is not a duration")]
    [InlineData("1e3s", "is not a duration")]
    [InlineData("1e3", "is not a duration")]
    [InlineData("1E3s", "is not a duration")]
    [InlineData("-5s", "is not a duration")]
    [InlineData("+5s", "is not a duration")]
    [InlineData("-00:01:00", "is not a duration")]
    [InlineData("NaN", "is not a duration")]
    [InlineData("NaNs", "is not a duration")]
    [InlineData("Infinity", "is not a duration")]
    [InlineData("∞s", "is not a duration")]
    [InlineData("1,000s", "is not a duration")]
    [InlineData("1 000s", "is not a duration")]
    [InlineData("1_000s", "is not a duration")]
    [InlineData("1,5s", "is not a duration")]
    [InlineData("٣s", "is not a duration")]          // ARABIC-INDIC DIGIT THREE
    [InlineData("３s", "is not a duration")]          // FULLWIDTH DIGIT THREE
    [InlineData("60 s", "is not a duration")]
    [InlineData("60ss", "is not a duration")]
    [InlineData("60sec", "is not a duration")]
    [InlineData("1d", "is not a duration")]
    [InlineData("5us", "is not a duration")]
    [InlineData(".5s", "is not a duration")]
    [InlineData("5.s", "is not a duration")]
    [InlineData("1.2.3s", "is not a duration")]
    [InlineData("0x10s", "is not a duration")]
    [InlineData("1:00", "is not a duration")]          // hh:mm is ambiguous with mm:ss: refused
    [InlineData("1.00:00:00", "is not a duration")]    // TimeSpan's days part is not the grammar
    [InlineData("00:1:00", "is not a duration")]
    [InlineData("00:01:0", "is not a duration")]
    [InlineData("00:60:00", "is not a duration")]
    [InlineData("00:00:60", "is not a duration")]
    [InlineData("00:00:00:01", "is not a duration")]
    [InlineData("00:01:00s", "is not a duration")]
    [InlineData("1.5:00:00", "is not a duration")]
    [InlineData("00:00:05.", "is not a duration")]
    // Not positive.
    [InlineData("0", "must be positive")]
    [InlineData("0s", "must be positive")]
    [InlineData("0.0ms", "must be positive")]
    [InlineData("00:00:00", "must be positive")]
    [InlineData("0.00000001s", "must be positive")]  // a tenth of a tick rounds to zero
    // Longer than seven days.
    [InlineData("604800.0000001", "is longer than 7 days")]
    [InlineData("168:00:00.0000001", "is longer than 7 days")]
    [InlineData("169h", "is longer than 7 days")]
    [InlineData("8d", "is not a duration")]
    [InlineData("10081m", "is longer than 7 days")]
    [InlineData("99999999999999999999999999999999999s", "is longer than 7 days")]
    [InlineData("99999999999999999999999999999999999:00:00", "is longer than 7 days")]
    [InlineData("79228162514264337593543950336ms", "is longer than 7 days")]  // decimal.MaxValue + 1
    [InlineData("9223372036854775807", "is longer than 7 days")]              // long.MaxValue seconds
    public void Refused_durations_say_why_and_name_the_option(string text, string why)
    {
        Assert.False(Durations.TryParse(text, out TimeSpan value), text);
        Assert.Equal(TimeSpan.Zero, value);
        FormatException e = Assert.Throws<FormatException>(() => Durations.Parse(text, "--interval"));
        Assert.StartsWith($"--interval: '{text}' {why}", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("(e.g. 60s, 2m, 00:01:00)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_is_refused()
    {
        Assert.False(Durations.TryParse(null, out _));
        FormatException e = Assert.Throws<FormatException>(() => Durations.Parse(null, "Verifier:Interval"));
        Assert.StartsWith("Verifier:Interval: '' is not a duration", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_current_culture_does_not_change_the_grammar()
    {
        // The projects run with InvariantGlobalization, so no named culture exists: build one that
        // writes numbers as German does (decimal comma, grouping dot) and make it current.
        CultureInfo before = CultureInfo.CurrentCulture;
        var german = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        german.NumberFormat.NumberDecimalSeparator = ",";
        german.NumberFormat.NumberGroupSeparator = ".";
        german.NumberFormat.PositiveSign = "+";
        try
        {
            CultureInfo.CurrentCulture = german;
            Assert.True(Durations.TryParse("1.5s", out TimeSpan v));
            Assert.Equal(TimeSpan.FromMilliseconds(1500), v);
            Assert.True(Durations.TryParse("1.000s", out TimeSpan one));
            Assert.Equal(TimeSpan.FromSeconds(1), one);
            Assert.False(Durations.TryParse("1,5s", out _));
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }
}
