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

    /// <summary>Plaintext passphrase of a record written before secrets were sealed at rest; empty
    /// once sealed (the verifier seals such records when it starts).</summary>
    public byte[] Value { get; set; } = [];

    /// <summary>AES-GCM nonce (<see cref="SecretAtRestKey"/>).</summary>
    public byte[]? Nonce { get; set; }

    /// <summary>The passphrase (UTF-8) encrypted under <see cref="SecretAtRestKey"/>.</summary>
    public byte[]? Ciphertext { get; set; }

    /// <summary>AES-GCM tag.</summary>
    public byte[]? Tag { get; set; }

    /// <summary>Whether the passphrase is encrypted (<see cref="Ciphertext"/>) rather than plaintext (<see cref="Value"/>).</summary>
    [BsonIgnore]
    public bool IsSealed => Ciphertext is not null;

    /// <summary>When set.</summary>
    public DateTime SetAt { get; set; }
}
