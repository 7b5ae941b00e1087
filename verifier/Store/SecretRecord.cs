using LiteDB;

namespace KcryptPush.Verifier.Store;

/// <summary>A configured partition secret (collection <c>secrets</c>, id <c>TpmHash ‖ "\n" ‖ Label</c>).</summary>
public sealed class SecretRecord
{
    /// <summary><c>TpmHash ‖ "\n" ‖ Label</c>.</summary>
    [BsonId]
    public string Id { get; set; } = string.Empty;

    /// <summary>The node.</summary>
    public string TpmHash { get; set; } = string.Empty;

    /// <summary>The partition label.</summary>
    public string Label { get; set; } = string.Empty;

    /// <summary>The passphrase bytes (UTF-8).</summary>
    public byte[] Value { get; set; } = [];

    /// <summary>When set.</summary>
    public DateTime SetAt { get; set; }
}
