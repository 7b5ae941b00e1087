using KcryptPush.Verifier.Cli;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary>The <c>nodes</c> commands' bad input (exit 2, one stderr line, nothing sent) and an unreachable broker (exit 1).</summary>
[Trait("Category", "Unit")]
public sealed class NodesCliUsageTests
{
    private const string Hash = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    // Port 1 on loopback: nothing listens, so any attempt to connect fails; bad input must be refused before that.
    private const string NoBroker = "amqp://guest:guest@127.0.0.1:1/";

    [Theory]
    [InlineData("show", "abc")]
    [InlineData("show", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeefg")]
    [InlineData("set-pcr", Hash, "sha256", "--learn")]
    [InlineData("set-pcr", Hash, "sha256:x", "--learn")]
    [InlineData("set-pcr", Hash, "sha256:24", "--skip")]
    [InlineData("set-pcr", Hash, "md5:1", "--skip")]
    [InlineData("set-pcr", Hash, "sha256:7", "abcd")]
    [InlineData("set-pcr", Hash, "sha1:7", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")]
    [InlineData("set-pcr", Hash, "sha256:7", "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")]
    [InlineData("set-pcr", Hash, "sha256:7", "--learn", "--skip")]
    [InlineData("set-pcr", Hash, "sha256:7")]
    [InlineData("set-ak", Hash)]
    [InlineData("set-ak", Hash, "--learn", "--skip")]
    [InlineData("quarantine", Hash)]
    [InlineData("quarantine", Hash, "--reason", " ")]
    [InlineData("release", "xyz")]
    [InlineData("delete")]
    [InlineData("list", "--timeout", "soon")]
    [InlineData("frobnicate", Hash)]
    public void Bad_input_is_exit_2_with_one_stderr_line(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string[] timeout = args.Contains("--timeout") ? [] : ["--timeout", "20s"];
        int code = VerifierCli.Run(["nodes", .. args, "--broker", NoBroker, .. timeout], stdout, stderr);

        Assert.Equal(2, code);
        string line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("kcrypt-push-verifier: ", line, StringComparison.Ordinal);
        Assert.Equal("", stdout.ToString());
    }

    [Fact]
    public void Malformed_broker_uri_is_exit_2()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, VerifierCli.Run(["nodes", "list", "--broker", "http://nope"], new StringWriter(), stderr));
        Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Unreachable_broker_is_exit_1_with_one_line_within_the_timeout()
    {
        var stderr = new StringWriter();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        int code = VerifierCli.Run(["nodes", "release", Hash, "--broker", NoBroker, "--timeout", "2s"], new StringWriter(), stderr);
        watch.Stop();

        Assert.Equal(1, code);
        string line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("127.0.0.1:1", line, StringComparison.Ordinal);
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
    }
}
