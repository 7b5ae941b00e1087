using System.Security.Cryptography;

namespace KcryptPush.Tpm.Types;

/// <summary>
/// The one vocabulary of TPM hash algorithms (TPMI_ALG_HASH, TPM 2.0 Part 2 §9.27): for each, its
/// TPM_ALG_ID, its bank name as our JSON, the contracts and tpm2-tools spell it ("sha1", "sha256",
/// "sha384", "sha512", "sm3_256", "sha3_256"...), its digest size and its .NET
/// <see cref="HashAlgorithmName"/>; and hashing with them. The TCG PC Client event log uses the
/// same registry (TCG_EfiSpecIdEvent digestSizes), so the attestation code reads it from here too.
/// </summary>
public static class TpmAlgorithms
{
    /// <summary>Largest digest any supported bank uses (SHA-512, SHA3-512): sizeof(TPMU_HA).</summary>
    public const int MaxDigestSize = 64;

    // One row per hash algorithm. PcrBank: SHA-1 and SHA-2, which every .NET platform computes;
    // the only banks a challenge, a quote's reported values or Verifier:Banks may name, and the
    // only hashes our TPM crypto (KDFa, OAEP, MakeCredential) accepts. SHA-3 depends on the
    // platform's OpenSSL and SM3 has no .NET implementation at all.
    private static readonly HashRow[] Table =
    [
        new(TpmAlgId.Sha1, "sha1", 20, HashAlgorithmName.SHA1, PcrBank: true),
        new(TpmAlgId.Sha256, "sha256", 32, HashAlgorithmName.SHA256, PcrBank: true),
        new(TpmAlgId.Sha384, "sha384", 48, HashAlgorithmName.SHA384, PcrBank: true),
        new(TpmAlgId.Sha512, "sha512", 64, HashAlgorithmName.SHA512, PcrBank: true),
        new(TpmAlgId.Sm3_256, "sm3_256", 32, null, PcrBank: false),
        new(TpmAlgId.Sha3_256, "sha3_256", 32, HashAlgorithmName.SHA3_256, PcrBank: false),
        new(TpmAlgId.Sha3_384, "sha3_384", 48, HashAlgorithmName.SHA3_384, PcrBank: false),
        new(TpmAlgId.Sha3_512, "sha3_512", 64, HashAlgorithmName.SHA3_512, PcrBank: false),
    ];

    /// <summary>Every hash algorithm this vocabulary knows, in TPM_ALG_ID order of the table above.</summary>
    public static IEnumerable<TpmAlgId> Hashes => Table.Select(h => h.Id);

    /// <summary>The banks a challenge, a quote's reported values and Verifier:Banks may name: sha1, sha256, sha384, sha512.</summary>
    public static IEnumerable<TpmAlgId> PcrBanks => Table.Where(h => h.PcrBank).Select(h => h.Id);

    /// <summary>True for TPM hash algorithms whose digest size is known (SHA-1/2/3, SM3).</summary>
    public static bool IsHash(TpmAlgId alg) => Find(alg) is not null;

    /// <summary>True for the banks of <see cref="PcrBanks"/>.</summary>
    public static bool IsPcrBank(TpmAlgId alg) => Find(alg)?.PcrBank == true;

    /// <summary>Digest size in bytes of a TPM hash algorithm, or 0 if <paramref name="alg"/> is not one.</summary>
    public static int GetDigestSize(TpmAlgId alg) => Find(alg)?.DigestSize ?? 0;

    /// <summary>The bank name of a hash algorithm ("sha256"), or "alg_0x####" for any other id
    /// (an event log may declare algorithms nobody knows).</summary>
    public static string BankName(TpmAlgId alg) => Find(alg)?.Name ?? $"alg_0x{(ushort)alg:x4}";

    /// <summary>The bank name of a raw TPM_ALG_ID as an event log carries it (see <see cref="BankName(TpmAlgId)"/>).</summary>
    public static string BankName(ushort algorithmId) => BankName((TpmAlgId)algorithmId);

    /// <summary>The hash algorithm of a bank name of <see cref="Hashes"/> (exact, lower case); false
    /// for anything else, including "alg_0x####".</summary>
    public static bool TryParseBankName(string? name, out TpmAlgId alg)
    {
        foreach (HashRow h in Table)
        {
            if (string.Equals(h.Name, name, StringComparison.Ordinal))
            {
                alg = h.Id;
                return true;
            }
        }

        alg = TpmAlgId.Null;
        return false;
    }

    /// <summary>The bank of a name of <see cref="PcrBanks"/> (sha1, sha256, sha384, sha512); false for any other name.</summary>
    public static bool TryParsePcrBank(string? name, out TpmAlgId alg)
    {
        if (TryParseBankName(name, out alg) && IsPcrBank(alg))
        {
            return true;
        }

        alg = TpmAlgId.Null;
        return false;
    }

    /// <summary>The .NET name of a TPM hash algorithm, if .NET has one (not SM3).</summary>
    public static bool TryGetHashAlgorithmName(TpmAlgId alg, out HashAlgorithmName name)
    {
        name = Find(alg)?.DotNet ?? default;
        return name.Name is not null;
    }

    /// <summary>The .NET name of a TPM hash algorithm.</summary>
    /// <exception cref="NotSupportedException">Not a hash .NET implements.</exception>
    public static HashAlgorithmName ToHashAlgorithmName(TpmAlgId alg) =>
        TryGetHashAlgorithmName(alg, out HashAlgorithmName name)
            ? name
            : throw new NotSupportedException($"TPM algorithm 0x{(ushort)alg:x4} is not a hash .NET supports.");

    /// <summary>The TPM id of a .NET hash algorithm, if it has one.</summary>
    public static bool TryFromHashAlgorithmName(HashAlgorithmName name, out TpmAlgId alg)
    {
        foreach (HashRow h in Table)
        {
            if (h.DotNet == name)
            {
                alg = h.Id;
                return true;
            }
        }

        alg = TpmAlgId.Null;
        return false;
    }

    /// <summary>The TPM id of a .NET hash algorithm.</summary>
    /// <exception cref="NotSupportedException">No TPM id for it.</exception>
    public static TpmAlgId FromHashAlgorithmName(HashAlgorithmName name) =>
        TryFromHashAlgorithmName(name, out TpmAlgId alg)
            ? alg
            : throw new NotSupportedException($"No TPM algorithm id for hash {name.Name}.");

    /// <summary>True when this process can compute <paramref name="alg"/> with .NET (SHA-3 depends on the platform's OpenSSL).</summary>
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

    // A linear scan of eight rows: cheaper than a dictionary lookup at this size, and it runs per
    // digest in replay and quote checks.
    private static HashRow? Find(TpmAlgId alg)
    {
        foreach (HashRow h in Table)
        {
            if (h.Id == alg)
            {
                return h;
            }
        }

        return null;
    }

    private sealed record HashRow(TpmAlgId Id, string Name, int DigestSize, HashAlgorithmName? DotNet, bool PcrBank);
}
