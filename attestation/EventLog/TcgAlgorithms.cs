using System.Security.Cryptography;
using KcryptPush.Attestation.Hashing;

namespace KcryptPush.Attestation.EventLog;

/// <summary>Facts about the hash algorithms of <see cref="TcgAlgorithmId"/>: digest sizes, bank
/// names as used in our JSON ("sha1", "sha256", ...), and how to compute them here: .NET's hashes,
/// or OpenSSL 3's EVP for what .NET lacks (SM3 always; SHA3 where .NET's build has none).</summary>
public static class TcgAlgorithms
{
    /// <summary>Largest digest we accept for an algorithm we do not know (SHA-512 size).</summary>
    public const int MaxDigestSize = 64;

    /// <summary>Digest size in bytes of a known algorithm, or 0 when unknown.</summary>
    public static int KnownDigestSize(ushort algId) => (TcgAlgorithmId)algId switch
    {
        TcgAlgorithmId.Sha1 => 20,
        TcgAlgorithmId.Sha256 or TcgAlgorithmId.Sm3_256 or TcgAlgorithmId.Sha3_256 => 32,
        TcgAlgorithmId.Sha384 or TcgAlgorithmId.Sha3_384 => 48,
        TcgAlgorithmId.Sha512 or TcgAlgorithmId.Sha3_512 => 64,
        _ => 0,
    };

    /// <summary>Bank name: "sha1", "sha256", "sha384", "sha512", "sm3_256", "sha3_256"...,
    /// or "alg_0x####" for an unknown algorithm.</summary>
    public static string BankName(ushort algId) => (TcgAlgorithmId)algId switch
    {
        TcgAlgorithmId.Sha1 => "sha1",
        TcgAlgorithmId.Sha256 => "sha256",
        TcgAlgorithmId.Sha384 => "sha384",
        TcgAlgorithmId.Sha512 => "sha512",
        TcgAlgorithmId.Sm3_256 => "sm3_256",
        TcgAlgorithmId.Sha3_256 => "sha3_256",
        TcgAlgorithmId.Sha3_384 => "sha3_384",
        TcgAlgorithmId.Sha3_512 => "sha3_512",
        _ => $"alg_0x{algId:x4}",
    };

    /// <summary>The .NET hash for an algorithm, when this platform can compute it.</summary>
    public static bool TryGetHashAlgorithm(ushort algId, out HashAlgorithmName name)
    {
        switch ((TcgAlgorithmId)algId)
        {
            case TcgAlgorithmId.Sha1: name = HashAlgorithmName.SHA1; return true;
            case TcgAlgorithmId.Sha256: name = HashAlgorithmName.SHA256; return true;
            case TcgAlgorithmId.Sha384: name = HashAlgorithmName.SHA384; return true;
            case TcgAlgorithmId.Sha512: name = HashAlgorithmName.SHA512; return true;
            case TcgAlgorithmId.Sha3_256 when SHA3_256.IsSupported: name = HashAlgorithmName.SHA3_256; return true;
            case TcgAlgorithmId.Sha3_384 when SHA3_384.IsSupported: name = HashAlgorithmName.SHA3_384; return true;
            case TcgAlgorithmId.Sha3_512 when SHA3_512.IsSupported: name = HashAlgorithmName.SHA3_512; return true;
            default: name = default; return false;
        }
    }

    /// <summary>Hashes <paramref name="data"/> with a computable algorithm (see
    /// <see cref="IsComputable"/>) into <paramref name="destination"/>; returns the digest length.</summary>
    /// <exception cref="NotSupportedException">Neither .NET nor OpenSSL computes it here
    /// (<see cref="WhyNotComputable"/> says why).</exception>
    public static int Hash(ushort algId, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        switch ((TcgAlgorithmId)algId)
        {
            case TcgAlgorithmId.Sha1: return SHA1.HashData(data, destination);
            case TcgAlgorithmId.Sha256: return SHA256.HashData(data, destination);
            case TcgAlgorithmId.Sha384: return SHA384.HashData(data, destination);
            case TcgAlgorithmId.Sha512: return SHA512.HashData(data, destination);
            case TcgAlgorithmId.Sha3_256 when SHA3_256.IsSupported: return SHA3_256.HashData(data, destination);
            case TcgAlgorithmId.Sha3_384 when SHA3_384.IsSupported: return SHA3_384.HashData(data, destination);
            case TcgAlgorithmId.Sha3_512 when SHA3_512.IsSupported: return SHA3_512.HashData(data, destination);
        }
        int n = OpenSslEvp.TryHash(algId, data, destination);
        return n > 0 ? n : throw new NotSupportedException($"hash algorithm {BankName(algId)} is not available: {WhyNotComputable(algId)}");
    }

    /// <summary>A reusable .NET hash object for an algorithm .NET computes (see
    /// <see cref="TryGetHashAlgorithm"/>; not SM3, which only OpenSSL has) (cheaper per call than the one-shot
    /// <c>HashData</c> when hashing many small inputs, as replay does).</summary>
    public static HashAlgorithm CreateHashAlgorithm(ushort algId) => (TcgAlgorithmId)algId switch
    {
        TcgAlgorithmId.Sha1 => SHA1.Create(),
        TcgAlgorithmId.Sha256 => SHA256.Create(),
        TcgAlgorithmId.Sha384 => SHA384.Create(),
        TcgAlgorithmId.Sha512 => SHA512.Create(),
        TcgAlgorithmId.Sha3_256 when SHA3_256.IsSupported => SHA3_256.Create(),
        TcgAlgorithmId.Sha3_384 when SHA3_384.IsSupported => SHA3_384.Create(),
        TcgAlgorithmId.Sha3_512 when SHA3_512.IsSupported => SHA3_512.Create(),
        _ => throw new NotSupportedException($"hash algorithm {BankName(algId)} is not available"),
    };

    /// <summary>Whether <see cref="Hash"/> (and a <see cref="PcrExtender"/>) can compute this
    /// algorithm here: .NET has it, or OpenSSL 3's EVP does.</summary>
    public static bool IsComputable(ushort algId) => TryGetHashAlgorithm(algId, out _) || OpenSslEvp.Has(algId);

    /// <summary>Why <paramref name="algId"/> cannot be computed here, as a phrase for a report
    /// ("unknown algorithm ..."), or null when it can.</summary>
    public static string? WhyNotComputable(ushort algId)
    {
        if (IsComputable(algId))
        {
            return null;
        }
        if (KnownDigestSize(algId) == 0)
        {
            return $"unknown algorithm 0x{algId:x4} (not a TPM 2.0 hash algorithm this verifier knows): neither OpenSSL nor .NET computes it";
        }
        string openssl = OpenSslEvp.IsAvailable
            ? $"the OpenSSL 3 libcrypto here does not offer {BankName(algId)}"
            : "OpenSSL 3 (libcrypto.so.3) is not available here";
        return $"{openssl} and .NET has no {BankName(algId)} on this platform";
    }
}
