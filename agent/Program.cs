using System.CommandLine;
using KcryptPush.Agent.Cli;

var root = new RootCommand("kcrypt-push-agent: enrols this node's TPM and pushes quotes and event logs.")
{
    TpmCommands.Create(),
};

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    Console.Error.WriteLine($"kcrypt-push-agent: {parsed.Errors[0].Message} (see --help)");
    return 2;
}
return parsed.Invoke();
