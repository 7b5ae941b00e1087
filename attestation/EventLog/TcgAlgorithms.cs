using System.Security.Cryptography;
using KcryptPush.Attestation.Hashing;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.EventLog;

/// <summary>How to compute an event log's hash algorithms here, by the raw TPM_ALG_ID a log
/// carries: .NET's hashes, or OpenSSL 3's EVP for what .NET lacks (SM3 always; SHA3 where .NET's
/// build has none). Names, sizes and ids are <see cref="TpmAlgorithms"/>'s (one vocabulary).</summary>
public static class TcgAlgorithms
{
    /// <summary>The .NET hash for an algorithm, when this platform can compute it.</summary>
    public static bool TryGetHashAlgorithm(ushort algId, out HashAlgorithmName name)
    {
        var alg = (TpmAlgId)algId;
        if (TpmAlgorithms.CanHash(alg) && TpmAlgorithms.TryGetHashAlgorithmName(alg, out name))
        {
            return true;
        }

        name = default;
        return false;
    }

    /// <summary>Hashes <paramref name="data"/> with a computable algorithm (see
    /// <see cref="IsComputable"/>) into <paramref name="destination"/>; returns the digest length.</summary>
    /// <exception cref="NotSupportedException">Neither .NET nor OpenSSL computes it here
    /// (<see cref="WhyNotComputable"/> says why).</exception>
    public static int Hash(ushort algId, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (TpmAlgorithms.CanHash((TpmAlgId)algId))
        {
            return TpmAlgorithms.Hash((TpmAlgId)algId, data, destination);
        }
        int n = OpenSslEvp.TryHash(algId, data, destination);
        return n > 0 ? n : throw new NotSupportedException($"hash algorithm {TpmAlgorithms.BankName(algId)} is not available: {WhyNotComputable(algId)}");
    }

    /// <summary>A reusable .NET hash object for an algorithm .NET computes (see
    /// <see cref="TryGetHashAlgorithm"/>; not SM3, which only OpenSSL has) (cheaper per call than the one-shot
    /// <c>HashData</c> when hashing many small inputs, as replay does).</summary>
    public static HashAlgorithm CreateHashAlgorithm(ushort algId) => (TpmAlgId)algId switch
    {
        TpmAlgId.Sha1 => SHA1.Create(),
        TpmAlgId.Sha256 => SHA256.Create(),
        TpmAlgId.Sha384 => SHA384.Create(),
        TpmAlgId.Sha512 => SHA512.Create(),
        TpmAlgId.Sha3_256 when SHA3_256.IsSupported => SHA3_256.Create(),
        TpmAlgId.Sha3_384 when SHA3_384.IsSupported => SHA3_384.Create(),
        TpmAlgId.Sha3_512 when SHA3_512.IsSupported => SHA3_512.Create(),
        _ => throw new NotSupportedException($"hash algorithm {TpmAlgorithms.BankName(algId)} is not available"),
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
        if (!TpmAlgorithms.IsHash((TpmAlgId)algId))
        {
            return $"unknown algorithm 0x{algId:x4} (not a TPM 2.0 hash algorithm this verifier knows): neither OpenSSL nor .NET computes it";
        }
        string name = TpmAlgorithms.BankName(algId);
        string openssl = OpenSslEvp.IsAvailable
            ? $"the OpenSSL 3 libcrypto here does not offer {name}"
            : "OpenSSL 3 (libcrypto.so.3) is not available here";
        return $"{openssl} and .NET has no {name} on this platform";
    }
}
