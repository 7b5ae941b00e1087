using KcryptPush.Messaging;

namespace KcryptPush.Integration.Tests.Broker;

/// <summary>
/// <c>Broker:ClusterNodes</c>: the other nodes of a RabbitMQ cluster, and the order a service tries
/// them in (the URI's node first); a bad list is refused before anything connects.
/// </summary>
[Trait("Category", "Unit")]
public sealed class BrokerClusterNodesTests
{
    [Fact]
    public void Entries_are_host_port_in_order_with_the_uris_port_where_none_is_given()
    {
        Assert.Equal(["127.0.0.1:10002", "rabbit-3:5672", "10.0.0.4:5673"], BrokerClusterNodes.Parse(" 127.0.0.1:10002, rabbit-3 ,10.0.0.4:5673", 5672));
        Assert.Empty(BrokerClusterNodes.Parse(null, 5672));
        Assert.Empty(BrokerClusterNodes.Parse("  ", 5672));
    }

    [Theory]
    [InlineData("127.0.0.1:10002,")]
    [InlineData(",127.0.0.1:10002")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("127.0.0.1:port")]
    [InlineData("user:pass@127.0.0.1:5672")]
    [InlineData("127.0.0.1:5672/vhost")]
    [InlineData("amqp://127.0.0.1:5672")]
    [InlineData("[::1]:5672")]
    [InlineData("host name:5672")]
    public void Anything_else_is_refused_naming_the_option(string value)
    {
        Assert.False(BrokerClusterNodes.IsValid(value));
        FormatException e = Assert.Throws<FormatException>(() => BrokerClusterNodes.Parse(value, 5672));
        Assert.StartsWith("Broker:ClusterNodes must be host:port", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_uris_node_is_tried_first_then_the_others_each_once()
    {
        BrokerAddress address = BrokerAddress.Parse("amqp://u:p@127.0.0.1:10001/");
        Assert.Equal(["127.0.0.1:10001", "127.0.0.1:10002", "127.0.0.1:10003"],
            KcryptPushBus.ClusterOf(address, new BrokerOptions { ClusterNodes = "127.0.0.1:10002,127.0.0.1:10001,127.0.0.1:10003,127.0.0.1:10002" }));
        Assert.Null(KcryptPushBus.ClusterOf(address, new BrokerOptions()));
        Assert.Null(KcryptPushBus.ClusterOf(address, new BrokerOptions { ClusterNodes = "" }));
    }
}
