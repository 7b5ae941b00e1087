using System.CommandLine;

namespace KcryptPush.Agent.Cli;

/// <summary>The <c>tpm</c> command group.</summary>
internal static class TpmCommands
{
    public static Command Create() => new("tpm", "Inspect this node's TPM")
    {
        TpmInfoCommand.Create(),
    };
}
