using System.CommandLine;

var root = new RootCommand("kcrypt-push-verifier: verifies quotes and event logs, releases or quarantines nodes.");

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    Console.Error.WriteLine($"kcrypt-push-verifier: {parsed.Errors[0].Message} (see --help)");
    return 2;
}
return parsed.Invoke();
