using LiteDB;

namespace KcryptPush.Verifier.Store;

/// <summary>
/// An issued challenge (collection <c>challenges</c>), kept across restarts. Once answered it holds
/// the digest of the answering message and the result, so a redelivered message gets the same
/// result and a different one is a reused challenge.
/// </summary>
public sealed class ChallengeRecord
{
    /// <summary>The challenge id.</summary>
    [BsonId]
    public Guid Id { get; set; }

    /// <summary>The node it was issued to.</summary>
    public string TpmHash { get; set; } = string.Empty;

    /// <summary>The nonce (TPMS_ATTEST.extraData must equal it).</summary>
    public byte[] Nonce { get; set; } = [];

    /// <summary>The PCR selection, bank by bank.</summary>
    public List<BankSelectionRecord> Selection { get; set; } = [];

    /// <summary>When issued.</summary>
    public DateTime IssuedAt { get; set; }

    /// <summary>When it expires.</summary>
    public DateTime ExpiresAt { get; set; }

    /// <summary>The node's latest accepted clock info when this was issued (null: none yet).</summary>
    public ClockFloor? ClockFloor { get; set; }

    /// <summary>When a quote claimed it (null while unused).</summary>
    public DateTime? UsedAt { get; set; }

    /// <summary>SHA-256 of the QuoteSubmitted that claimed it.</summary>
    public byte[]? SubmissionDigest { get; set; }

    /// <summary>The AttestationResult given (JSON), for idempotent redelivery.</summary>
    public string? ResultJson { get; set; }
}

/// <summary>One bank of a challenge's selection.</summary>
public sealed class BankSelectionRecord
{
    /// <summary>Bank name.</summary>
    public string Bank { get; set; } = string.Empty;

    /// <summary>PCR indexes, ascending.</summary>
    public List<int> Pcrs { get; set; } = [];
}
