using System.CommandLine;
using KcryptPush.Tpm.Client;

namespace KcryptPush.Agent.Cli;

/// <summary>
/// Options of the commands that talk to the registrar (<c>run</c>, <c>enroll</c>). They have no
/// built-in default: an absent option leaves the value to the configuration layers
/// (appsettings.json, <c>KCRYPTPUSH_*</c>), see AgentConfiguration.
/// </summary>
internal sealed class ServiceOptions
{
    public Option<string?> Broker { get; } = new("--broker")
    {
        Description = "broker URI amqp://user:pass@host:port/vhost or amqps://... (env KCRYPTPUSH_BROKER; default amqp://guest:guest@127.0.0.1:5672/)",
    };

    public Option<string?> Tpm { get; } = new("--tpm")
    {
        Description = "TPM to use: device:/dev/tpmrm0 or swtpm:HOST:PORT (env KCRYPTPUSH_TPM; default device:/dev/tpmrm0)",
    };

    public Option<string?> Ek { get; } = new("--ek")
    {
        Description = "EK type: rsa (RSA 2048), ecc (NIST P-256) or ecc384 (NIST P-384) (env KCRYPTPUSH_EK; default rsa)",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Broker);
        command.Options.Add(Tpm);
        command.Options.Add(Ek);
    }

    /// <summary>The configuration overrides given on the command line, or an error line for bad usage.</summary>
    public (Dictionary<string, string?> Overrides, string? Error) Read(ParseResult parse)
    {
        string? ek = parse.GetValue(Ek);
        if (ek is not null && !EkKinds.TryParse(ek, out _))
        {
            return ([], $"invalid --ek '{ek}': expected rsa, ecc or ecc384");
        }

        return (new Dictionary<string, string?>
        {
            ["Broker:Uri"] = parse.GetValue(Broker),
            ["Agent:Tpm"] = parse.GetValue(Tpm),
            ["Agent:Ek"] = ek,
        }, null);
    }
}
