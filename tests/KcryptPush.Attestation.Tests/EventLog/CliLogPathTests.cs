namespace KcryptPush.Attestation.Tests.EventLog;

/// <summary>
/// Every command that reads an event log (<c>eventlog replay|show PATH</c>, <c>policy create
/// --from-log PATH</c>, <c>policy run --log PATH</c>), given a directory, an empty string or a
/// missing file as PATH: exit 2, nothing on stdout, one stderr line that says which of the three it
/// was (README: "2 usage or bad input (one line on stderr, nothing on stdout)").
/// </summary>
[Trait("Category", "Unit")]
public sealed class CliLogPathTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcrypt-log-path").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Commands => ["eventlog replay", "eventlog replay --json", "eventlog show", "eventlog show --json", "policy create", "policy create --output", "policy run", "policy run --json"];

    private string[] Args(string command, string path)
    {
        switch (command)
        {
            case "policy create":
                return ["policy", "create", "--from-log", path];
            case "policy create --output":
                return ["policy", "create", "--from-log", path, "--output", Path.Combine(_dir, "out.policy.json")];
            case "policy run":
            case "policy run --json":
                string policy = Path.Combine(_dir, "good.policy.json");
                if (!File.Exists(policy))
                {
                    (int code, _, string stderr) = CliRunner.Run("policy", "create", "--from-log", SharedLogs.BinPath("gcp-rhel8-sb"), "--output", policy);
                    Assert.True(code == 0, stderr);
                }
                return command.EndsWith("--json", StringComparison.Ordinal)
                    ? ["policy", "run", "--log", path, "--policy", policy, "--json"]
                    : ["policy", "run", "--log", path, "--policy", policy];
            default:
                return [.. command.Split(' '), path];
        }
    }

    private string BadInputLine(string command, string path)
    {
        (int code, string stdout, string stderr) = CliRunner.Run(Args(command, path));
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("kcrypt-push-verifier: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "out.policy.json")), "no policy is written from a bad log path");
        return line;
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void A_directory_is_exit_2_saying_it_is_a_directory(string command)
    {
        string dir = Directory.CreateDirectory(Path.Combine(_dir, "logs.d")).FullName;
        string line = BadInputLine(command, dir);
        Assert.Contains($"{dir}: is a directory, not an event log file", line, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void An_empty_path_is_exit_2_saying_the_path_is_empty(string command)
    {
        string line = BadInputLine(command, "");
        Assert.Equal("kcrypt-push-verifier: event log path is empty: give the path of an event log file", line);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void A_missing_file_is_exit_2_saying_no_such_file(string command)
    {
        string missing = Path.Combine(_dir, "absent.bin");
        Assert.Equal($"kcrypt-push-verifier: {missing}: no such file", BadInputLine(command, missing));
        string inMissingDir = Path.Combine(_dir, "no-such-dir", "absent.bin");
        Assert.Equal($"kcrypt-push-verifier: {inMissingDir}: no such file", BadInputLine(command, inMissingDir));
    }
}
