using LiteDB;

namespace KcryptPush.Registrar.Store;

/// <summary>A node as the registrar stores it (LiteDB collection <c>nodes</c>, keyed by TPM hash).</summary>
public sealed class NodeRecord
{
    /// <summary>The node's identity: lowercase hex SHA-256 of the EK SubjectPublicKeyInfo.</summary>
    [BsonId]
    public string TpmHash { get; set; } = string.Empty;

    /// <summary>EK TPMT_PUBLIC bytes.</summary>
    public byte[] EkPublic { get; set; } = [];

    /// <summary>EK certificate (DER) as presented, if any.</summary>
    public byte[]? EkCertificate { get; set; }

    /// <summary>How the EK was trusted: <c>ek-certificate</c> or <c>allow-list</c>.</summary>
    public string EkTrust { get; set; } = string.Empty;

    /// <summary>The enrolled AK's TPMT_PUBLIC (empty until the first enrolment).</summary>
    public byte[] AkPublic { get; set; } = [];

    /// <summary>The enrolled AK's Name (nameAlg ‖ digest).</summary>
    public byte[] AkName { get; set; } = [];

    /// <summary>Host name last reported.</summary>
    public string Hostname { get; set; } = string.Empty;

    /// <summary>State.</summary>
    public NodeState State { get; set; }

    /// <summary>First registration.</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>Last change.</summary>
    public DateTime UpdatedAt { get; set; }

    /// <summary>Last successful enrolment.</summary>
    public DateTime? EnrolledAt { get; set; }
}
