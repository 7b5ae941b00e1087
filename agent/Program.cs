using System.CommandLine;
using KcryptPush.Agent.Cli;

var root = new RootCommand(
    "kcrypt-push-agent: enrols this node's TPM with the registrar, pushes quotes and event logs to the verifier, answers kcrypt's discovery.password. "
    + "Exit codes: 0 success, 1 failed operation or rejection, 2 bad usage (one line on stderr).")
{
    RunCommand.Create(),
    EnrollCommand.Create(),
    TpmCommands.Create(),
    DiscoveryPasswordCommand.Create(),
    CleanupCommand.Create(),
};

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    Console.Error.WriteLine($"kcrypt-push-agent: {parsed.Errors[0].Message} (see --help)");
    return 2;
}

// The host's lifetime (console or systemd) handles SIGTERM/SIGINT for run and enroll.
return parsed.Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null });
