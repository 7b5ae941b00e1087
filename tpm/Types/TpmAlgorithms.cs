using System.Security.Cryptography;

namespace KcryptPush.Tpm.Types;

/// <summary>
/// Maps TPM hash algorithm ids (TPMI_ALG_HASH, TPM 2.0 Part 2 §9.27) to .NET
/// <see cref="HashAlgorithmName"/> and digest sizes, and hashes with them.
/// </summary>
public static class TpmAlgorithms
{
    /// <summary>Largest digest any supported bank uses (SHA-512, SHA3-512): sizeof(TPMU_HA).</summary>
    public const int MaxDigestSize = 64;

    /// <summary>True for TPM hash algorithms whose digest size is known (SHA-1/2/3, SM3).</summary>
    public static bool IsHash(TpmAlgId alg) => GetDigestSize(alg) > 0;

    /// <summary>Digest size in bytes of a TPM hash algorithm, or 0 if <paramref name="alg"/> is not one.</summary>
    public static int GetDigestSize(TpmAlgId alg) => alg switch
    {
        TpmAlgId.Sha1 => 20,
        TpmAlgId.Sha256 or TpmAlgId.Sm3_256 or TpmAlgId.Sha3_256 => 32,
        TpmAlgId.Sha384 or TpmAlgId.Sha3_384 => 48,
        TpmAlgId.Sha512 or TpmAlgId.Sha3_512 => 64,
        _ => 0,
    };

    /// <summary>The .NET name of a TPM hash algorithm, if .NET has one (not SM3).</summary>
    public static bool TryGetHashAlgorithmName(TpmAlgId alg, out HashAlgorithmName name)
    {
        name = alg switch
        {
            TpmAlgId.Sha1 => HashAlgorithmName.SHA1,
            TpmAlgId.Sha256 => HashAlgorithmName.SHA256,
            TpmAlgId.Sha384 => HashAlgorithmName.SHA384,
            TpmAlgId.Sha512 => HashAlgorithmName.SHA512,
            TpmAlgId.Sha3_256 => HashAlgorithmName.SHA3_256,
            TpmAlgId.Sha3_384 => HashAlgorithmName.SHA3_384,
            TpmAlgId.Sha3_512 => HashAlgorithmName.SHA3_512,
            _ => default,
        };
        return name.Name is not null;
    }

    /// <summary>The .NET name of a TPM hash algorithm.</summary>
    /// <exception cref="NotSupportedException">Not a hash .NET implements.</exception>
    public static HashAlgorithmName ToHashAlgorithmName(TpmAlgId alg) =>
        TryGetHashAlgorithmName(alg, out HashAlgorithmName name)
            ? name
            : throw new NotSupportedException($"TPM algorithm 0x{(ushort)alg:x4} is not a hash .NET supports.");

    /// <summary>The TPM id of a .NET hash algorithm.</summary>
    /// <exception cref="NotSupportedException">No TPM id for it.</exception>
    public static TpmAlgId FromHashAlgorithmName(HashAlgorithmName name)
    {
        if (name == HashAlgorithmName.SHA1) return TpmAlgId.Sha1;
        if (name == HashAlgorithmName.SHA256) return TpmAlgId.Sha256;
        if (name == HashAlgorithmName.SHA384) return TpmAlgId.Sha384;
        if (name == HashAlgorithmName.SHA512) return TpmAlgId.Sha512;
        if (name == HashAlgorithmName.SHA3_256) return TpmAlgId.Sha3_256;
        if (name == HashAlgorithmName.SHA3_384) return TpmAlgId.Sha3_384;
        if (name == HashAlgorithmName.SHA3_512) return TpmAlgId.Sha3_512;
        throw new NotSupportedException($"No TPM algorithm id for hash {name.Name}.");
    }

    /// <summary>True when this process can compute <paramref name="alg"/> (SHA-3 depends on the platform's OpenSSL).</summary>
    public static bool CanHash(TpmAlgId alg) => alg switch
    {
        TpmAlgId.Sha1 or TpmAlgId.Sha256 or TpmAlgId.Sha384 or TpmAlgId.Sha512 => true,
        TpmAlgId.Sha3_256 => SHA3_256.IsSupported,
        TpmAlgId.Sha3_384 => SHA3_384.IsSupported,
        TpmAlgId.Sha3_512 => SHA3_512.IsSupported,
        _ => false,
    };

    /// <summary>Hashes <paramref name="data"/> into <paramref name="destination"/>; returns the digest size.</summary>
    /// <exception cref="NotSupportedException">Not a hash this process can compute.</exception>
    public static int Hash(TpmAlgId alg, ReadOnlySpan<byte> data, Span<byte> destination) => alg switch
    {
        TpmAlgId.Sha1 => SHA1.HashData(data, destination),
        TpmAlgId.Sha256 => SHA256.HashData(data, destination),
        TpmAlgId.Sha384 => SHA384.HashData(data, destination),
        TpmAlgId.Sha512 => SHA512.HashData(data, destination),
        TpmAlgId.Sha3_256 when SHA3_256.IsSupported => SHA3_256.HashData(data, destination),
        TpmAlgId.Sha3_384 when SHA3_384.IsSupported => SHA3_384.HashData(data, destination),
        TpmAlgId.Sha3_512 when SHA3_512.IsSupported => SHA3_512.HashData(data, destination),
        _ => throw new NotSupportedException($"TPM algorithm 0x{(ushort)alg:x4} is not a hash this process can compute."),
    };

    /// <summary>Hashes <paramref name="data"/>.</summary>
    /// <exception cref="NotSupportedException">Not a hash this process can compute.</exception>
    public static byte[] Hash(TpmAlgId alg, ReadOnlySpan<byte> data)
    {
        int size = GetDigestSize(alg);
        if (size == 0 || !CanHash(alg))
        {
            throw new NotSupportedException($"TPM algorithm 0x{(ushort)alg:x4} is not a hash this process can compute.");
        }

        byte[] digest = new byte[size];
        Hash(alg, data, digest);
        return digest;
    }
}
