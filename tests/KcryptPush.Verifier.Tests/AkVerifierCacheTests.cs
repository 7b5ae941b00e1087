using KcryptPush.Tpm.Structures;
using KcryptPush.Verifier.Attestation;

namespace KcryptPush.Verifier.Tests;

/// <summary>Enrolled AKs imported once per Name and public area, within a bound that keeps a share of a larger fleet.</summary>
[Trait("Category", "Unit")]
public sealed class AkVerifierCacheTests
{
    [Fact]
    public void The_same_ak_is_imported_once_another_public_area_under_the_name_is_not_served_from_it_and_garbage_gives_none()
    {
        var cache = new AkVerifierCache();
        var first = cache.Get(RealEvidence.AkName, RealEvidence.AkPublic);
        Assert.NotNull(first);
        Assert.Same(first, cache.Get(RealEvidence.AkName, (byte[])RealEvidence.AkPublic.Clone()));

        // Bytes that are not the cached public area under the same Name: parsed afresh (here they do not parse).
        Assert.Null(cache.Get(RealEvidence.AkName, [0x00, 0x01, 0x02]));
        Assert.Same(first, cache.Get(RealEvidence.AkName, RealEvidence.AkPublic));
    }

    [Fact]
    public void A_fleet_larger_than_the_cache_keeps_hitting_on_part_of_it_round_robin_and_never_holds_more_than_the_bound()
    {
        const int capacity = 64, fleet = 80;
        var cache = new AkVerifierCache(capacity);
        (byte[] Name, byte[] Public)[] aks = Enumerable.Range(0, fleet).Select(Ak).ToArray();
        var seen = new Dictionary<int, object>();
        int hits = 0;
        for (int round = 0; round < 10; round++)
        {
            for (int i = 0; i < fleet; i++)
            {
                object verifier = cache.Get(aks[i].Name, aks[i].Public)!;
                hits += round > 0 && seen.TryGetValue(i, out object? before) && ReferenceEquals(before, verifier) ? 1 : 0;
                seen[i] = verifier;
                Assert.True(cache.Count <= capacity, $"{cache.Count} AKs held, bound {capacity}");
            }
        }

        // Round-robin over 80 nodes with room for 64: clearing or evicting the oldest would make every
        // look-up a miss; random replacement keeps about half of the rounds' look-ups hitting.
        Assert.Equal(capacity, cache.Count);
        Assert.InRange(hits, 9 * fleet / 5, 9 * fleet);
    }

    [Fact]
    public void An_ak_replaced_under_its_name_keeps_one_slot()
    {
        var cache = new AkVerifierCache(2);
        (byte[] name, byte[] pub) = Ak(0);
        (_, byte[] other) = Ak(1);
        Assert.NotNull(cache.Get(name, pub));
        Assert.NotNull(cache.Get(name, other));
        Assert.NotNull(cache.Get(name, pub));
        Assert.Equal(1, cache.Count);
    }

    // A distinct RSA AK public area per i: the enrolled one with its modulus's last bytes changed (importing
    // a public key does not check the modulus's factors).
    private static (byte[] Name, byte[] Public) Ak(int i)
    {
        TpmtPublic t = TpmtPublic.Parse(RealEvidence.AkPublic);
        byte[] modulus = (byte[])t.Unique.Clone();
        modulus[^2] = (byte)i;
        modulus[^3] = (byte)(i >> 8);
        modulus[^4] ^= 0x5a;
        var variant = new TpmtPublic
        {
            Type = t.Type, NameAlg = t.NameAlg, ObjectAttributes = t.ObjectAttributes, AuthPolicy = t.AuthPolicy,
            Symmetric = t.Symmetric, Scheme = t.Scheme, KeyBits = t.KeyBits, Exponent = t.Exponent, Unique = modulus,
        };
        byte[] pub = variant.GetBytes().ToArray();
        return (variant.ComputeName(), pub);
    }
}
