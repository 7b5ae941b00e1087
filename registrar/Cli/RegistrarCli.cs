using System.CommandLine;

namespace KcryptPush.Registrar.Cli;

/// <summary>The command tree of <c>kcrypt-push-registrar</c>.</summary>
public static class RegistrarCli
{
    /// <summary>Parses and runs; returns the exit code (2 with one stderr line on usage errors).</summary>
    public static int Invoke(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        var root = new RootCommand(
            "kcrypt-push-registrar: records EK/AK of new nodes, checks EK certificates, runs credential " +
            "activation and enrols nodes with the verifier.")
        {
            RunCommand.Create(),
            NodesCommand.Create(stdout, stderr),
            KcryptPush.Http.ReadyCommand.Create(
                "kcrypt-push-registrar",
                KcryptPush.Http.HttpOptions.RegistrarDefault,
                overrides => Hosting.RegistrarConfiguration.Build(overrides)),
        };

        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            stderr.WriteLine($"kcrypt-push-registrar: {parsed.Errors[0].Message} (see --help)");
            return 2;
        }

        return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = null });
    }
}
