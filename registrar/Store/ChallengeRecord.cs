using LiteDB;

namespace KcryptPush.Registrar.Store;

/// <summary>
/// An issued credential challenge (LiteDB collection <c>challenges</c>). It carries what the proof
/// will enrol (the AK waiting for activation), so a node's enrolled AK changes only once the new
/// AK has been proven. The secret is wiped when the challenge is used or expires.
/// </summary>
public sealed class ChallengeRecord
{
    /// <summary>Challenge id.</summary>
    [BsonId]
    public Guid Id { get; set; }

    /// <summary>The TPM hash computed from the EK.</summary>
    public string TpmHash { get; set; } = string.Empty;

    /// <summary>The agent's registration attempt id (a redelivered RegisterNode gets the same challenge back).</summary>
    public Guid RegistrationId { get; set; }

    /// <summary>The credential (HMAC key of the proof); emptied once used or expired.</summary>
    public byte[] Secret { get; set; } = [];

    /// <summary>TPM2B_ID_OBJECT contents sent to the agent.</summary>
    public byte[] CredentialBlob { get; set; } = [];

    /// <summary>TPM2B_ENCRYPTED_SECRET contents sent to the agent.</summary>
    public byte[] EncryptedSecret { get; set; } = [];

    /// <summary>EK TPMT_PUBLIC.</summary>
    public byte[] EkPublic { get; set; } = [];

    /// <summary>EK certificate, if any.</summary>
    public byte[]? EkCertificate { get; set; }

    /// <summary>How the EK was trusted.</summary>
    public string EkTrust { get; set; } = string.Empty;

    /// <summary>The AK to enrol on a valid proof.</summary>
    public byte[] AkPublic { get; set; } = [];

    /// <summary>Its Name.</summary>
    public byte[] AkName { get; set; } = [];

    /// <summary>Host name reported.</summary>
    public string Hostname { get; set; } = string.Empty;

    /// <summary>Issued at.</summary>
    public DateTime IssuedAt { get; set; }

    /// <summary>Expires at.</summary>
    public DateTime ExpiresAt { get; set; }

    /// <summary>When a proof consumed it (single use).</summary>
    public DateTime? UsedAt { get; set; }

    /// <summary>SHA-256 of the accepted proof, so a redelivered proof is answered the same way.</summary>
    public byte[]? AcceptedProofHash { get; set; }

    /// <summary>When the node was enrolled by this challenge (the NodeEnrolled time).</summary>
    public DateTime? EnrolledAt { get; set; }
}
