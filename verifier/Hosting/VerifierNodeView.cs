using KcryptPush.Verifier.Enrolment;

namespace KcryptPush.Verifier.Hosting;

/// <summary>
/// The JSON shape of a node in <c>kcrypt-push-verifier nodes list --json</c> (camelCase):
/// DESIGN.md's <c>tpmHash</c>, <c>hostname</c>, <c>state</c>, plus the enrolled keys (TPMT_PUBLIC
/// bytes in base64, the AK Name in hex).
/// </summary>
internal sealed record VerifierNodeView(
    string TpmHash,
    string Hostname,
    string State,
    string AkName,
    string AkPublic,
    string EkPublic,
    DateTime EnrolledAt,
    DateTime CreatedAt,
    DateTime UpdatedAt)
{
    /// <summary>Every stored node is enrolled; attestation states (trusted, quarantined) come with the attestation work.</summary>
    public const string EnrolledState = "enrolled";

    public static VerifierNodeView Of(VerifierNode n) => new(
        n.TpmHash,
        n.Hostname,
        EnrolledState,
        Convert.ToHexStringLower(n.AkName),
        Convert.ToBase64String(n.AkPublic),
        Convert.ToBase64String(n.EkPublic),
        n.EnrolledAt.ToUniversalTime(),
        n.CreatedAt.ToUniversalTime(),
        n.UpdatedAt.ToUniversalTime());
}
