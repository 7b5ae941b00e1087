using System.Collections.Concurrent;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;

namespace KcryptPush.Verifier.Attestation;

/// <summary>
/// Enrolled AKs imported once (<see cref="QuoteVerifier"/> per AK): importing an RSA-2048 public key costs several
/// times the quote's signature check, and a node attests with the same AK every interval. Keyed by the AK's Name
/// and checked against the enrolled TPMT_PUBLIC bytes, so a re-enrolled node with another AK gets its own entry.
/// Bounded: past <see cref="Capacity"/> entries it starts again (an evicted verifier is left to the GC, never
/// disposed under a caller still using it).
/// </summary>
public sealed class AkVerifierCache
{
    /// <summary>AKs kept imported (an RSA-2048 public key is a few KB with its native state).</summary>
    public const int Capacity = 16_384;

    private readonly ConcurrentDictionary<string, (byte[] Public, QuoteVerifier Verifier)> _byName = new(StringComparer.Ordinal);

    /// <summary>The verifier of the AK <paramref name="akPublic"/> named <paramref name="akName"/>; null when
    /// its TPMT_PUBLIC does not parse (the caller then verifies without one, which reports why).</summary>
    public QuoteVerifier? Get(byte[] akName, byte[] akPublic)
    {
        ArgumentNullException.ThrowIfNull(akName);
        ArgumentNullException.ThrowIfNull(akPublic);
        string key = Convert.ToHexStringLower(akName);
        if (_byName.TryGetValue(key, out (byte[] Public, QuoteVerifier Verifier) hit) && hit.Public.AsSpan().SequenceEqual(akPublic))
        {
            return hit.Verifier;
        }

        TpmtPublic parsed;
        try
        {
            parsed = TpmtPublic.Parse(akPublic);
        }
        catch (TpmFormatException)
        {
            return null;
        }

        var verifier = new QuoteVerifier(parsed);
        if (_byName.Count >= Capacity)
        {
            _byName.Clear();
        }

        _byName[key] = ((byte[])akPublic.Clone(), verifier);
        return verifier;
    }
}
