using System.CommandLine;

namespace KcryptPush.Agent.Cli;

/// <summary>
/// Options shared by agent commands, with the defaults of DESIGN.md's command-line contract:
/// an explicit option wins, then the KCRYPTPUSH_* environment variable, then the built-in default.
/// </summary>
internal static class AgentOptions
{
    public const string DefaultTpm = "device:/dev/tpmrm0";
    public const string DefaultEk = "rsa";

    public static Option<string> Tpm() => new("--tpm")
    {
        Description = "TPM to use: device:/dev/tpmrm0 or swtpm:HOST:PORT (env KCRYPTPUSH_TPM)",
        DefaultValueFactory = _ => FromEnvironment("KCRYPTPUSH_TPM", DefaultTpm),
    };

    public static Option<string> Ek() => new("--ek")
    {
        Description = "EK type: rsa (RSA 2048), ecc (NIST P-256) or ecc384 (NIST P-384) (env KCRYPTPUSH_EK)",
        DefaultValueFactory = _ => FromEnvironment("KCRYPTPUSH_EK", DefaultEk),
    };

    public static Option<bool> Json() => new("--json")
    {
        Description = "print machine-readable JSON",
    };

    private static string FromEnvironment(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;
}
