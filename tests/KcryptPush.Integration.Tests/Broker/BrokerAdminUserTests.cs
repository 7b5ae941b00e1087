using System.Runtime.Versioning;
using RabbitMQ.Client;

namespace KcryptPush.Integration.Tests.Broker;

/// <summary>
/// <c>scripts/rabbitmq.sh users</c> deletes guest (whose password everyone knows) and makes an admin
/// user of its own with a random password, its URI in DIR/admin.uri (mode 0600).
/// </summary>
[Trait("Category", "Integration")]
[SupportedOSPlatform("linux")]
public sealed class BrokerAdminUserTests : IClassFixture<RabbitMqFixture>
{
    private readonly RabbitMqFixture _broker;

    public BrokerAdminUserTests(RabbitMqFixture broker)
    {
        _broker = broker;
    }

    [Fact]
    public async Task After_users_guest_is_refused_and_the_admin_uri_works()
    {
        string guestUri = _broker.Uri;
        Assert.Contains("guest:guest@", guestUri, StringComparison.Ordinal);

        // Before 'users', guest works from 127.0.0.1 (the broker's default).
        await using (IConnection before = await new ConnectionFactory { Uri = new Uri(guestUri) }.CreateConnectionAsync())
        {
            Assert.True(before.IsOpen);
        }

        await _broker.CreateRoleUsersAsync();

        string adminFile = Path.Combine(_broker.Directory, "admin.uri");
        Assert.True(File.Exists(adminFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(adminFile));
        string admin = File.ReadAllText(adminFile).Trim();
        Assert.Equal(admin, _broker.Uri);
        Assert.DoesNotContain("guest", admin, StringComparison.Ordinal);

        Exception refused = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using IConnection c = await new ConnectionFactory { Uri = new Uri(guestUri) }.CreateConnectionAsync();
        });
        Assert.Contains("ACCESS_REFUSED", Flatten(refused), StringComparison.Ordinal);

        await using IConnection adminConnection = await new ConnectionFactory { Uri = new Uri(admin) }.CreateConnectionAsync();
        await using IChannel ch = await adminConnection.CreateChannelAsync();
        await ch.ExchangeDeclareAsync("kcp-admin-test", ExchangeType.Fanout, durable: false, autoDelete: true);

        // A restart keeps guest deleted and the fixture's Uri the admin.
        await _broker.StopAsync();
        await _broker.StartAsync();
        Assert.Equal(admin, _broker.Uri);
        await using IConnection again = await new ConnectionFactory { Uri = new Uri(_broker.Uri) }.CreateConnectionAsync();
        Assert.True(again.IsOpen);
    }

    private static string Flatten(Exception e)
    {
        var parts = new List<string>();
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            parts.Add($"{x.GetType().Name}: {x.Message}");
        }

        return string.Join(" <- ", parts);
    }
}
