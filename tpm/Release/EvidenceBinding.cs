using System.Security.Cryptography;

namespace KcryptPush.Tpm.Release;

/// <summary>
/// The quote's qualifyingData (TPMS_ATTEST.extraData, TPM 2.0 Part 2 §10.12.12) under DESIGN.md's
/// evidence binding: <c>SHA-256(nonce ‖ SHA-256(event log) ‖ Name of the release key, or nothing)</c>.
/// The AK's signature then covers the log the agent holds and the key a secret would be bound to,
/// besides the verifier's nonce, so none of them can be swapped in a copy of a genuine message.
/// </summary>
public static class EvidenceBinding
{
    /// <summary>The size of the binding (SHA-256), well under a TPM2B_DATA's limit.</summary>
    public const int Size = 32;

    /// <summary>The extraData for <paramref name="nonce"/>, <paramref name="eventLogSha256"/> and <paramref name="releaseKeyName"/> (empty: no release asked).</summary>
    public static byte[] Compute(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> eventLogSha256, ReadOnlySpan<byte> releaseKeyName)
    {
        if (eventLogSha256.Length != SHA256.HashSizeInBytes)
        {
            throw new ArgumentException($"the event log digest must be 32 bytes (SHA-256), got {eventLogSha256.Length}", nameof(eventLogSha256));
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(nonce);
        sha.AppendData(eventLogSha256);
        sha.AppendData(releaseKeyName);
        return sha.GetHashAndReset();
    }
}
