namespace KcryptPush.Verifier.Store;

/// <summary>One PCR of a node's selective-enrollment policy (a PCR without a record is skipped).</summary>
public sealed class PcrPolicyRecord
{
    /// <summary>Bank name (<c>sha1</c>, <c>sha256</c>...).</summary>
    public string Bank { get; set; } = string.Empty;

    /// <summary>PCR index 0..23.</summary>
    public int Index { get; set; }

    /// <summary><see cref="PolicyModes.Enforce"/> or <see cref="PolicyModes.Learn"/>.</summary>
    public string Mode { get; set; } = PolicyModes.Enforce;

    /// <summary>Lowercase hex: the enforced value, or in learn mode the previous value (for the audit), if any.</summary>
    public string? Value { get; set; }
}
