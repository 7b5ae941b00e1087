using KcryptPush.Contracts.V1;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests.Enrolment;

/// <summary>The registrar's NodeEnrolled applied to the verifier's store (moved from the registrar's tests
/// with the node store it tested, now <see cref="NodeEnrolment"/> over <see cref="IVerifierStore"/>).</summary>
[Trait("Category", "Unit")]
public sealed class NodeEnrolmentTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-verifier-").FullName;
    private static readonly string Hash = new('a', 64);
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static NodeEnrolled Enrolled(byte ak, DateTimeOffset at) => new(Hash, [1, 2, 3], [ak, ak], [0x00, 0x0b, ak], "host", at);

    private static bool Apply(IVerifierStore store, NodeEnrolled enrolled)
    {
        using IVerifierUnit unit = store.BeginNode(enrolled.TpmHash);
        bool changed = NodeEnrolment.Apply(unit, enrolled, DateTime.UtcNow);
        unit.Commit();
        return changed;
    }

    [Fact]
    public void NodeEnrolled_creates_the_node_once_and_redelivery_changes_nothing()
    {
        using var store = new LiteDbVerifierStore(Path.Combine(_dir, "verifier.db"));

        Assert.True(Apply(store, Enrolled(7, T0)));
        Assert.False(Apply(store, Enrolled(7, T0)));

        VerifierNode node = Assert.Single(store.ListNodes());
        Assert.Equal(new byte[] { 0x00, 0x0b, 7 }, node.AkName);
        Assert.Single(store.EnrolmentEvents(Hash));
    }

    [Fact]
    public void A_newer_enrolment_replaces_the_AK_and_an_older_one_arriving_late_does_not()
    {
        using var store = new LiteDbVerifierStore(Path.Combine(_dir, "verifier.db"));
        Apply(store, Enrolled(1, T0));

        Assert.True(Apply(store, Enrolled(2, T0.AddMinutes(5))));
        Assert.False(Apply(store, Enrolled(1, T0.AddMinutes(1))));

        Assert.Equal(new byte[] { 0x00, 0x0b, 2 }, store.FindNode(Hash)!.AkName);
        VerifierEnrolmentEvent changed = Assert.Single(store.EnrolmentEvents(Hash), e => e.Event == "ak-changed");
        Assert.Equal("000b01", changed.OldAkName);
        Assert.Equal("000b02", changed.NewAkName);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
