using System.Security.Cryptography;
using System.Text;

namespace KcryptPush.Messaging;

/// <summary>
/// The proof of CredentialProof (KcryptPush.Contracts.V1): HMAC-SHA256 keyed by the credential
/// that TPM2_ActivateCredential recovered, over the 64 ASCII bytes of the lowercase hex TPM hash
/// followed by the 16 bytes of the challenge id in RFC 4122 (big-endian) order. Shared by agent
/// and registrar so both compute exactly the same byte string.
/// </summary>
public static class CredentialProofMac
{
    /// <summary>Length of a proof (SHA-256).</summary>
    public const int Length = 32;

    /// <summary>The bytes that are MACed.</summary>
    public static byte[] Message(string tpmHash, Guid challengeId)
    {
        ArgumentNullException.ThrowIfNull(tpmHash);
        byte[] hash = Encoding.ASCII.GetBytes(tpmHash);
        byte[] message = new byte[hash.Length + 16];
        hash.CopyTo(message, 0);
        if (!challengeId.TryWriteBytes(message.AsSpan(hash.Length), bigEndian: true, out _))
        {
            throw new InvalidOperationException("a Guid is 16 bytes");
        }

        return message;
    }

    /// <summary>Computes the proof (agent side).</summary>
    public static byte[] Compute(ReadOnlySpan<byte> credential, string tpmHash, Guid challengeId) =>
        HMACSHA256.HashData(credential, Message(tpmHash, challengeId));

    /// <summary>Checks a proof in fixed time (registrar side).</summary>
    public static bool Verify(ReadOnlySpan<byte> credential, string tpmHash, Guid challengeId, ReadOnlySpan<byte> proof)
    {
        byte[] expected = Compute(credential, tpmHash, challengeId);
        return proof.Length == expected.Length && CryptographicOperations.FixedTimeEquals(expected, proof);
    }
}
