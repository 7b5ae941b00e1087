using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace KcryptPush.Tpm.Crypto;

/// <summary>
/// The two key derivation functions of TPM 2.0 Part 1 §11.4.10: KDFa (HMAC in counter mode,
/// SP800-108) and KDFe (hash in counter mode, SP800-56A concatenation KDF).
/// </summary>
/// <remarks>
/// The label is given without its terminating zero; both functions append the single 0x00 octet
/// the TPM's labels carry ("IDENTITY" hashes as 49 44 45 4E 54 49 54 59 00). The output is
/// ⌈bits/8⌉ bytes; when bits is not a multiple of 8 the unused high bits of the first byte are
/// cleared (Part 1 §11.4.10.2: the result is the rightmost bits).
/// </remarks>
public static class KeyDerivation
{
    /// <summary>
    /// KDFa(hash, key, label, contextU, contextV, bits) (TPM 2.0 Part 1 §11.4.10.2): the
    /// concatenation over i = 1, 2, … of HMAC-hash(key, [i]32 ‖ label ‖ 00 ‖ contextU ‖ contextV ‖ [bits]32),
    /// integers big-endian, truncated to <paramref name="bits"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Unsupported hash, or a label holding a zero character.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bits"/> is not positive.</exception>
    public static byte[] Kdfa(
        HashAlgorithmName hash,
        ReadOnlySpan<byte> key,
        string label,
        ReadOnlySpan<byte> contextU,
        ReadOnlySpan<byte> contextV,
        int bits)
    {
        int digestSize = TpmHashAlgorithms.DigestSize(hash, nameof(hash));
        byte[] labelBytes = EncodeLabel(label);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bits);

        byte[] output = new byte[(bits + 7) / 8];
        Span<byte> counter = stackalloc byte[4];
        Span<byte> bitsField = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bitsField, bits);
        Span<byte> block = stackalloc byte[digestSize];

        using var hmac = IncrementalHash.CreateHMAC(hash, key);
        uint i = 1;
        for (int offset = 0; offset < output.Length; offset += digestSize, i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(counter, i);
            hmac.AppendData(counter);
            hmac.AppendData(labelBytes);
            hmac.AppendData(contextU);
            hmac.AppendData(contextV);
            hmac.AppendData(bitsField);
            hmac.GetHashAndReset(block);
            block[..Math.Min(digestSize, output.Length - offset)].CopyTo(output.AsSpan(offset));
        }

        MaskLeadingBits(output, bits);
        return output;
    }

    /// <summary>
    /// KDFe(hash, Z, label, partyUInfo, partyVInfo, bits) (TPM 2.0 Part 1 §11.4.10.3): the
    /// concatenation over i = 1, 2, … of hash([i]32 ‖ Z ‖ label ‖ 00 ‖ partyUInfo ‖ partyVInfo),
    /// truncated to <paramref name="bits"/>. Unlike KDFa there is no bits field in the hashed data.
    /// </summary>
    /// <exception cref="ArgumentException">Unsupported hash, or a label holding a zero character.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bits"/> is not positive.</exception>
    public static byte[] Kdfe(
        HashAlgorithmName hash,
        ReadOnlySpan<byte> z,
        string label,
        ReadOnlySpan<byte> partyUInfo,
        ReadOnlySpan<byte> partyVInfo,
        int bits)
    {
        int digestSize = TpmHashAlgorithms.DigestSize(hash, nameof(hash));
        byte[] labelBytes = EncodeLabel(label);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bits);

        byte[] output = new byte[(bits + 7) / 8];
        Span<byte> counter = stackalloc byte[4];
        Span<byte> block = stackalloc byte[digestSize];

        using var digest = IncrementalHash.CreateHash(hash);
        uint i = 1;
        for (int offset = 0; offset < output.Length; offset += digestSize, i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(counter, i);
            digest.AppendData(counter);
            digest.AppendData(z);
            digest.AppendData(labelBytes);
            digest.AppendData(partyUInfo);
            digest.AppendData(partyVInfo);
            digest.GetHashAndReset(block);
            block[..Math.Min(digestSize, output.Length - offset)].CopyTo(output.AsSpan(offset));
        }

        MaskLeadingBits(output, bits);
        return output;
    }

    /// <summary>The label's ASCII bytes followed by its terminating 0x00.</summary>
    internal static byte[] EncodeLabel(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (label.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("the label must not contain a zero character: the terminating 0x00 is added here", nameof(label));
        }
        foreach (char c in label)
        {
            if (c > 0x7F)
            {
                throw new ArgumentException($"the label '{label}' must be ASCII", nameof(label));
            }
        }
        byte[] bytes = new byte[label.Length + 1];
        Encoding.ASCII.GetBytes(label, bytes);
        return bytes;
    }

    private static void MaskLeadingBits(byte[] output, int bits)
    {
        int spare = bits % 8;
        if (spare != 0)
        {
            output[0] &= (byte)((1 << spare) - 1);
        }
    }
}
