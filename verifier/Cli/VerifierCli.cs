using System.CommandLine;

namespace KcryptPush.Verifier.Cli;

/// <summary>The kcrypt-push-verifier command line: builds the command tree and runs it with the
/// given output streams, so tests run exactly the path the executable runs.</summary>
public static class VerifierCli
{
    /// <summary>Exit code for bad input: unknown arguments, missing or malformed files.</summary>
    public const int BadInput = 2;

    /// <summary>Builds the root command with every subcommand.</summary>
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand(
            "kcrypt-push-verifier: verifies quotes and event logs, releases or quarantines nodes. "
            + "Exit codes: 0 success, 1 failure, 2 bad input (unknown arguments, missing or malformed file; one line on stderr), "
            + "3 'nodes set-secret' refused the verifier's key (not the pinned or expected one; nothing was sent).");
        root.Subcommands.Add(EventLogCommand.Create());
        root.Subcommands.Add(PolicyCommand.Create());
        root.Subcommands.Add(NodesCommand.Create());
        root.Subcommands.Add(SecretKeyCommand.Create());
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code. Parse errors give
    /// exit 2 and one line on <paramref name="error"/>.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ParseResult parsed = CreateRootCommand().Parse(args);
        if (parsed.Errors.Count > 0)
        {
            string messages = string.Join("; ", parsed.Errors.Select(e => e.Message.ReplaceLineEndings(" ")));
            error.WriteLine($"kcrypt-push-verifier: {messages} (see --help)");
            return BadInput;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
