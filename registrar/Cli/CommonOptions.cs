using System.CommandLine;

namespace KcryptPush.Registrar.Cli;

/// <summary>Options shared by the subcommands (DESIGN.md "Command-line contract").</summary>
internal static class CommonOptions
{
    public static Option<string?> Db() => new("--db")
    {
        Description = "LiteDB file (env KCRYPTPUSH_DB; default /var/lib/kcrypt-push/registrar.db); held by a running registrar, so nodes list|show read it only while the service is stopped; Registrar:Store (env KCRYPTPUSH_Registrar__Store) names PostgreSQL instead",
    };

    public static Option<bool> Json() => new("--json")
    {
        Description = "print machine-readable JSON",
    };
}
