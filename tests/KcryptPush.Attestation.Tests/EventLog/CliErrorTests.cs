namespace KcryptPush.Attestation.Tests.EventLog;

[Trait("Category", "Unit")]
public sealed class CliErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcrypt-eventlog-cli").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void AssertBadInput((int ExitCode, string Stdout, string Stderr) r, string mustMention)
    {
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        string line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(mustMention, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("replay")]
    [InlineData("show")]
    public void Missing_file_is_exit_2_with_one_stderr_line(string sub)
    {
        string path = Path.Combine(_dir, "absent.bin");
        AssertBadInput(CliRunner.Run("eventlog", sub, path, "--json"), "no such file");
        AssertBadInput(CliRunner.Run("eventlog", sub, path), "no such file");
    }

    [Theory]
    [InlineData("replay")]
    [InlineData("show")]
    public void Truncated_log_is_exit_2_naming_the_offset(string sub)
    {
        byte[] real = SharedLogs.Bytes("gcp-ubuntu2104-nosb");
        string path = Write("truncated.bin", real.AsSpan(0, 1000).ToArray());
        AssertBadInput(CliRunner.Run("eventlog", sub, "--json", path), "byte offset");
        AssertBadInput(CliRunner.Run("eventlog", sub, path), "byte offset");
    }

    [Fact]
    public void Empty_file_is_exit_2()
    {
        AssertBadInput(CliRunner.Run("eventlog", "replay", Write("empty.bin", []), "--json"), "byte offset 0");
    }

    [Fact]
    public void Unknown_option_is_exit_2_with_one_stderr_line()
    {
        AssertBadInput(CliRunner.Run("eventlog", "replay", SharedLogs.BinPath("shim-sb-certs"), "--bogus"), "--bogus");
    }

    [Fact]
    public void Missing_argument_is_exit_2()
    {
        (int code, string stdout, string stderr) = CliRunner.Run("eventlog", "replay");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Help_describes_the_eventlog_commands()
    {
        (int code, string stdout, _) = CliRunner.Run("eventlog", "--help");
        Assert.Equal(0, code);
        Assert.Contains("replay", stdout, StringComparison.Ordinal);
        Assert.Contains("show", stdout, StringComparison.Ordinal);
        (code, stdout, _) = CliRunner.Run("eventlog", "replay", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--json", stdout, StringComparison.Ordinal);
        Assert.Contains("EV_NO_ACTION", stdout, StringComparison.Ordinal);
    }
}
