using System.Collections.Concurrent;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Structures;

namespace KcryptPush.Verifier.Attestation;

/// <summary>
/// Enrolled AKs imported once (<see cref="QuoteVerifier"/> per AK): importing an RSA-2048 public key costs several
/// times the quote's signature check, and a node attests with the same AK every interval. Keyed by the AK's Name
/// and checked against the enrolled TPMT_PUBLIC bytes, so a re-enrolled node with another AK gets its own entry.
/// <para>
/// Bounded (an imported key holds 2-3.5 KB of native state: 3.4 KB RSA-2048, 2.2 KB P-256, measured). When full,
/// a new entry replaces one chosen at random. Nodes attest round-robin, so with a fleet larger than the cache any
/// recency order (clearing all, FIFO, LRU) evicts each key just before its node comes back and nothing ever hits;
/// random replacement keeps a share of the keys. A fleet that attests faster than it is willing to pay for imports
/// sizes the cache to the fleet (<see cref="VerifierOptions.AkCacheEntries"/>). An evicted verifier is left to the
/// GC, never disposed under a caller still using it.
/// </para>
/// </summary>
public sealed class AkVerifierCache
{
    /// <summary>Default number of AKs kept imported.</summary>
    public const int DefaultCapacity = 16_384;

    private readonly ConcurrentDictionary<string, (byte[] Public, QuoteVerifier Verifier)> _byName = new(StringComparer.Ordinal);
    private readonly Lock _evictGate = new();
    private readonly string[] _slots;
    private int _filled;

    /// <summary>A cache of at most <paramref name="capacity"/> AKs.</summary>
    public AkVerifierCache(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _slots = new string[capacity];
    }

    /// <summary>How many AKs it keeps at most.</summary>
    public int Capacity => _slots.Length;

    /// <summary>How many AKs it holds now.</summary>
    public int Count => _byName.Count;

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
        lock (_evictGate)
        {
            if (!_byName.ContainsKey(key))
            {
                // Every key in the dictionary has one slot; a key replaced under its Name (another public
                // area) keeps its slot.
                int slot = _filled < _slots.Length ? _filled++ : Random.Shared.Next(_slots.Length);
                if (_slots[slot] is { } evicted)
                {
                    _byName.TryRemove(evicted, out _);
                }

                _slots[slot] = key;
            }

            _byName[key] = ((byte[])akPublic.Clone(), verifier);
        }

        return verifier;
    }
}
