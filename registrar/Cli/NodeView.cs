using KcryptPush.Registrar.Store;

namespace KcryptPush.Registrar.Cli;

/// <summary>The JSON shape of a node in <c>nodes list --json</c> (camelCase).</summary>
internal sealed record NodeView(
    string TpmHash,
    string Hostname,
    string State,
    string EkTrust,
    string AkName,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    DateTime? EnrolledAt)
{
    public static NodeView Of(NodeRecord n) => new(
        n.TpmHash,
        n.Hostname,
        StateName(n.State),
        n.EkTrust,
        Convert.ToHexStringLower(n.AkName),
        n.CreatedAt.ToUniversalTime(),
        n.UpdatedAt.ToUniversalTime(),
        n.EnrolledAt?.ToUniversalTime());

    public static string StateName(NodeState s) => s switch
    {
        NodeState.Enrolled => "enrolled",
        _ => "pending",
    };
}
