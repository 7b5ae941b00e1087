using System.Security.Cryptography;

namespace KcryptPush.Tpm.Crypto;

/// <summary>
/// AES in CFB mode with a 128-bit feedback and an all-zero IV, without padding: the symmetric
/// protection of credentials and duplication blobs (TPM 2.0 Part 1 §24.4, "Symmetric Encryption";
/// the IV is zero because each key is used once).
/// </summary>
/// <remarks>
/// .NET's CFB refuses lengths that are not a multiple of the block size with
/// <see cref="PaddingMode.None"/>, so the input is zero-padded to whole blocks and the output cut
/// back to the input length. CFB is a stream mode: the first n output bytes do not depend on what
/// follows them, so this equals unpadded CFB-128.
/// </remarks>
public static class TpmAesCfb
{
    private const int BlockSize = 16;

    /// <summary>Encrypts <paramref name="plaintext"/> with AES-CFB-128 under <paramref name="key"/> and a zero IV.</summary>
    /// <exception cref="ArgumentException">The key is not 16, 24 or 32 bytes.</exception>
    public static byte[] Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext) => Transform(key, plaintext, encrypt: true);

    /// <summary>Decrypts <paramref name="ciphertext"/> made by <see cref="Encrypt"/>.</summary>
    /// <exception cref="ArgumentException">The key is not 16, 24 or 32 bytes.</exception>
    public static byte[] Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> ciphertext) => Transform(key, ciphertext, encrypt: false);

    private static byte[] Transform(ReadOnlySpan<byte> key, ReadOnlySpan<byte> input, bool encrypt)
    {
        if (key.Length is not (16 or 24 or 32))
        {
            throw new ArgumentException($"an AES key has 16, 24 or 32 bytes, not {key.Length}", nameof(key));
        }
        if (input.IsEmpty)
        {
            return [];
        }

        int padded = (input.Length + BlockSize - 1) / BlockSize * BlockSize;
        byte[] buffer = new byte[padded];
        input.CopyTo(buffer);
        Span<byte> iv = stackalloc byte[BlockSize];
        iv.Clear();

        using Aes aes = Aes.Create();
        aes.Key = key.ToArray();
        byte[] output = encrypt
            ? aes.EncryptCfb(buffer, iv, PaddingMode.None, feedbackSizeInBits: 128)
            : aes.DecryptCfb(buffer, iv, PaddingMode.None, feedbackSizeInBits: 128);
        return output.AsSpan(0, input.Length).ToArray();
    }
}
