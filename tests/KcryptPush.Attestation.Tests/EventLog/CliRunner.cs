using KcryptPush.Verifier.Cli;

namespace KcryptPush.Attestation.Tests.EventLog;

/// <summary>Runs the real verifier command line in-process with captured output.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = VerifierCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
