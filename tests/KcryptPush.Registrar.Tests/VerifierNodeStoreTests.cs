using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Enrolment;

namespace KcryptPush.Registrar.Tests;

[Trait("Category", "Unit")]
public sealed class VerifierNodeStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-verifier-").FullName;
    private static readonly string Hash = new('a', 64);
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static NodeEnrolled Enrolled(byte ak, DateTimeOffset at) => new(Hash, [1, 2, 3], [ak, ak], [0x00, 0x0b, ak], "host", at);

    [Fact]
    public void NodeEnrolled_creates_the_node_once_and_redelivery_changes_nothing()
    {
        using var store = new VerifierNodeStore(Path.Combine(_dir, "verifier.db"));

        Assert.True(store.Apply(Enrolled(7, T0), DateTime.UtcNow));
        Assert.False(store.Apply(Enrolled(7, T0), DateTime.UtcNow));

        VerifierNode node = Assert.Single(store.List());
        Assert.Equal(new byte[] { 0x00, 0x0b, 7 }, node.AkName);
        Assert.Single(store.EventsOf(Hash));
    }

    [Fact]
    public void A_newer_enrolment_replaces_the_AK_and_an_older_one_arriving_late_does_not()
    {
        using var store = new VerifierNodeStore(Path.Combine(_dir, "verifier.db"));
        store.Apply(Enrolled(1, T0), DateTime.UtcNow);

        Assert.True(store.Apply(Enrolled(2, T0.AddMinutes(5)), DateTime.UtcNow));
        Assert.False(store.Apply(Enrolled(1, T0.AddMinutes(1)), DateTime.UtcNow));

        Assert.Equal(new byte[] { 0x00, 0x0b, 2 }, store.Find(Hash)!.AkName);
        VerifierEnrolmentEvent changed = Assert.Single(store.EventsOf(Hash), e => e.Event == "ak-changed");
        Assert.Equal("000b01", changed.OldAkName);
        Assert.Equal("000b02", changed.NewAkName);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
