using KcryptPush.Registrar.Store;

namespace KcryptPush.Registrar.Cli;

/// <summary>The JSON shape of <c>nodes show HASH --json</c>: the node with its key material and audit trail.</summary>
internal sealed record NodeDetailView(
    string TpmHash,
    string Hostname,
    string State,
    string EkTrust,
    string EkPublic,
    string? EkCertificate,
    string AkPublic,
    string AkName,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    DateTime? EnrolledAt,
    IReadOnlyList<AuditView> Audit)
{
    public static NodeDetailView Of(NodeRecord n, IReadOnlyList<AuditEntry> audit) => new(
        n.TpmHash,
        n.Hostname,
        NodeView.StateName(n.State),
        n.EkTrust,
        Convert.ToBase64String(n.EkPublic),
        n.EkCertificate is null ? null : Convert.ToBase64String(n.EkCertificate),
        Convert.ToBase64String(n.AkPublic),
        Convert.ToHexStringLower(n.AkName),
        n.CreatedAt.ToUniversalTime(),
        n.UpdatedAt.ToUniversalTime(),
        n.EnrolledAt?.ToUniversalTime(),
        audit.Select(AuditView.Of).ToList());
}

/// <summary>One audit entry in JSON.</summary>
internal sealed record AuditView(DateTime At, string Event, string? ReasonCode, string Detail, Guid? RegistrationId, Guid? ChallengeId, string? OldAkName, string? NewAkName)
{
    public static AuditView Of(AuditEntry a) =>
        new(a.At.ToUniversalTime(), a.Event, a.ReasonCode, a.Detail, a.RegistrationId, a.ChallengeId, a.OldAkName, a.NewAkName);
}
