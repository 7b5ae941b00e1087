using LiteDB;

namespace KcryptPush.Verifier.Enrolment;

/// <summary>
/// A node the verifier attests (LiteDB collection <c>nodes</c> in verifier.db, keyed by TPM hash),
/// created from the registrar's NodeEnrolled. Policy fields (TOFU PCRs etc.) are added by the
/// attestation work; this holds the identity and the AK quotes are checked against.
/// </summary>
public sealed class VerifierNode
{
    /// <summary>Lowercase hex SHA-256 of the EK SubjectPublicKeyInfo.</summary>
    [BsonId]
    public string TpmHash { get; set; } = string.Empty;

    /// <summary>EK TPMT_PUBLIC bytes.</summary>
    public byte[] EkPublic { get; set; } = [];

    /// <summary>Enrolled AK TPMT_PUBLIC bytes.</summary>
    public byte[] AkPublic { get; set; } = [];

    /// <summary>Enrolled AK Name (nameAlg ‖ digest): a quote's signer must have this Name.</summary>
    public byte[] AkName { get; set; } = [];

    /// <summary>Host name reported at enrolment (informational).</summary>
    public string Hostname { get; set; } = string.Empty;

    /// <summary>When the registrar enrolled the node (the NodeEnrolled time applied last).</summary>
    public DateTime EnrolledAt { get; set; }

    /// <summary>When the verifier first stored the node.</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>Last change.</summary>
    public DateTime UpdatedAt { get; set; }
}
