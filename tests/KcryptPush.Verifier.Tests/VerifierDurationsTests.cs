using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Cli;
using Microsoft.Extensions.Configuration;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// The verifier's durations (Verifier:Interval, Verifier:ChallengeExpiry, <c>nodes --timeout</c>) go
/// through the one grammar of contracts' Durations, the agent's too: what the verifier used to take and
/// the agent refused (exponents, TimeSpan's day and hh:mm forms) is refused here as well, with the
/// option named.
/// </summary>
[Trait("Category", "Unit")]
public sealed class VerifierDurationsTests
{
    // Port 1 on loopback: nothing listens; bad input must be refused before any connection.
    private const string NoBroker = "amqp://guest:guest@127.0.0.1:1/";

    [Theory]
    [InlineData("60s", 60)]
    [InlineData("90S", 90)]
    [InlineData("2m", 120)]
    [InlineData("00:01:00", 60)]
    [InlineData(" 45 ", 45)]
    [InlineData("168h", 604_800)]
    public void The_interval_setting_takes_the_shared_grammar(string text, int seconds)
    {
        VerifierOptions o = VerifierOptions.From(Config(("Verifier:Interval", text)));
        Assert.Equal(TimeSpan.FromSeconds(seconds), o.Interval);
        Assert.Equal(TimeSpan.FromSeconds(2 * seconds), o.EffectiveChallengeExpiry);
    }

    [Theory]
    [InlineData("Verifier:Interval", "1e3s", "is not a duration")]
    [InlineData("Verifier:Interval", "NaN", "is not a duration")]
    [InlineData("Verifier:Interval", "1.00:00:00", "is not a duration")]
    [InlineData("Verifier:Interval", "1:00", "is not a duration")]
    [InlineData("Verifier:Interval", "-5s", "is not a duration")]
    [InlineData("Verifier:Interval", "0", "must be positive")]
    [InlineData("Verifier:Interval", "169h", "is longer than 7 days")]
    [InlineData("Verifier:ChallengeExpiry", "1e3s", "is not a duration")]
    [InlineData("Verifier:ChallengeExpiry", "0s", "must be positive")]
    public void Bad_duration_settings_are_refused_naming_the_setting(string key, string text, string why)
    {
        FormatException e = Assert.Throws<FormatException>(() => VerifierOptions.From(Config((key, text))));
        Assert.StartsWith($"{key}: '{text}' {why}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1e3s", "is not a duration")]
    [InlineData("00:00:00", "must be positive")]
    [InlineData("200h", "is longer than 7 days")]
    public void A_bad_nodes_timeout_is_exit_2_naming_the_option(string text, string why)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = VerifierCli.Run(["nodes", "list", "--broker", NoBroker, "--timeout", text], stdout, stderr);

        Assert.Equal(2, code);
        string line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"--timeout: '{text}' {why}", line, StringComparison.Ordinal);
        Assert.Equal("", stdout.ToString());
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
