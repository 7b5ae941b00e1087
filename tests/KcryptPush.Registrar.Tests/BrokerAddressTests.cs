using KcryptPush.Messaging;

namespace KcryptPush.Registrar.Tests;

[Trait("Category", "Unit")]
public sealed class BrokerAddressTests
{
    [Theory]
    [InlineData("amqp://guest:guest@127.0.0.1:5672/", "127.0.0.1", 5672, "/", "guest", "guest", false)]
    [InlineData("amqp://localhost", "localhost", 5672, "/", "guest", "guest", false)]
    [InlineData("amqps://reg:s%40cret@mq.example.org/kcrypt", "mq.example.org", 5671, "kcrypt", "reg", "s@cret", true)]
    [InlineData("amqps://u:p@mq:5000/%2f", "mq", 5000, "/", "u", "p", true)]
    [InlineData("amqp://u:p@mq:5673/prod%2Fa", "mq", 5673, "prod/a", "u", "p", false)]
    public void Parses_the_RabbitMQ_URI_form(string uri, string host, int port, string vhost, string user, string password, bool tls)
    {
        Assert.Equal(new BrokerAddress(host, port, vhost, user, password, tls), BrokerAddress.Parse(uri));
    }

    [Theory]
    [InlineData("")]
    [InlineData("http://host/")]
    [InlineData("not a uri")]
    [InlineData("amqp://host/a/b")]
    public void Rejects_what_is_not_an_amqp_URI(string uri)
    {
        Assert.Throws<InvalidBrokerUriException>(() => BrokerAddress.Parse(uri));
    }

    [Fact]
    public void Never_shows_the_password()
    {
        Assert.Equal("amqp://reg:***@mq:5672/", BrokerAddress.Redact("amqp://reg:topsecret@mq:5672/"));
        Assert.DoesNotContain("topsecret", BrokerAddress.Parse("amqp://reg:topsecret@mq/").ToString(), StringComparison.Ordinal);
    }
}
