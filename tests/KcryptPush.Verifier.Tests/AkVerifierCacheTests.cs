using KcryptPush.Verifier.Attestation;

namespace KcryptPush.Verifier.Tests;

/// <summary>Enrolled AKs imported once per Name and public area.</summary>
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
}
