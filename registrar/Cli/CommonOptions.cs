using System.CommandLine;

namespace KcryptPush.Registrar.Cli;

/// <summary>Options shared by the subcommands (DESIGN.md "Command-line contract").</summary>
internal static class CommonOptions
{
    public static Option<string?> Db() => new("--db")
    {
        Description = "LiteDB file (env KCRYPTPUSH_DB; default /var/lib/kcrypt-push/registrar.db)",
    };

    public static Option<bool> Json() => new("--json")
    {
        Description = "print machine-readable JSON",
    };
}
