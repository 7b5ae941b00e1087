using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Enrolment;

/// <summary><c>kcrypt-push-agent enroll</c> and <c>run</c> exit codes without a broker: 2 for bad usage, 1 with one line when enrolment cannot finish.</summary>
[Trait("Category", "Integration")]
public sealed class AgentCommandLineTests
{
    private static readonly Dictionary<string, string> CleanEnvironment = new()
    {
        ["KCRYPTPUSH_TPM"] = "",
        ["KCRYPTPUSH_EK"] = "",
        ["KCRYPTPUSH_BROKER"] = "",
    };

    [Theory]
    [InlineData("enroll", "--ek", "rsa4096")]
    [InlineData("enroll", "--timeout", "soon")]
    [InlineData("enroll", "--broker", "http://127.0.0.1/")]
    [InlineData("enroll", "--tpm", "/dev/tpmrm0")]
    [InlineData("run", "--ek", "dsa")]
    [InlineData("run", "--broker", "amqp://")]
    [InlineData("enroll", "--no-such-option")]
    public void Bad_usage_exits_2_with_one_line_on_stderr(params string[] args)
    {
        ProcessResult r = ProcessRunner.Run("dotnet", [KcryptPushBinaries.Agent, .. args], environment: CleanEnvironment);

        Assert.Equal(2, r.ExitCode);
        string line = Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("kcrypt-push-agent: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Enroll_gives_up_at_its_timeout_with_exit_1_and_the_last_error()
    {
        ProcessResult r = ProcessRunner.Run("dotnet",
            [KcryptPushBinaries.Agent, "enroll", "--broker", "amqp://guest:guest@127.0.0.1:1/", "--tpm", "swtpm:127.0.0.1:1", "--timeout", "3s"],
            environment: CleanEnvironment, timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(1, r.ExitCode);
        string last = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.StartsWith("kcrypt-push-agent: enrolment timed out after 3s", last, StringComparison.Ordinal);
        Assert.Contains("TPM unreachable", last, StringComparison.Ordinal);
        Assert.Empty(r.StdOut);
    }

    [Fact]
    public void Run_help_describes_readiness_after_enrolment_and_the_push_loop()
    {
        ProcessResult r = ProcessRunner.Run("dotnet", [KcryptPushBinaries.Agent, "run", "--help"], environment: CleanEnvironment);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("READY=1", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("push loop", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("--broker", r.StdOut, StringComparison.Ordinal);
    }
}
