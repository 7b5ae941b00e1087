using System.CommandLine;

var root = new RootCommand(
    "kcrypt-push-registrar: records EK/AK of new nodes, checks EK certificates, runs credential " +
    "activation and enrols nodes with the verifier. The service itself lands with the enrolment work.");

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    Console.Error.WriteLine($"kcrypt-push-registrar: {parsed.Errors[0].Message} (see --help)");
    return 2;
}
return parsed.Invoke();
