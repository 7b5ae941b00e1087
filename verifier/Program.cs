using System.CommandLine;
using KcryptPush.Verifier.Cli;
using KcryptPush.Verifier.Hosting;

// The service command (run) joins the commands of VerifierCli (eventlog, policy, nodes).
RootCommand root = VerifierCli.CreateRootCommand();
root.Subcommands.Add(VerifierServiceCommands.Run());
root.Subcommands.Add(VerifierServiceCommands.Ready());
ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    Console.Error.WriteLine($"kcrypt-push-verifier: {string.Join("; ", parsed.Errors.Select(e => e.Message.ReplaceLineEndings(" ")))} (see --help)");
    return VerifierCli.BadInput;
}

// The host's lifetime (console or systemd) handles SIGTERM for run.
return parsed.Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null });
