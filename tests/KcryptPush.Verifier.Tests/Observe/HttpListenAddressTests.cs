using System.Net;
using KcryptPush.Http;
using Microsoft.Extensions.Configuration;

namespace KcryptPush.Verifier.Tests.Observe;

/// <summary>Http:Listen values (--http, KCRYPTPUSH_HTTP) and the bearer token rule.</summary>
[Trait("Category", "Unit")]
public sealed class HttpListenAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:9464", "127.0.0.1", 9464, true)]
    [InlineData("localhost:0", "127.0.0.1", 0, true)]
    [InlineData("[::1]:9464", "::1", 9464, true)]
    [InlineData("0.0.0.0:9464", "0.0.0.0", 9464, false)]
    [InlineData("10.1.2.3:80", "10.1.2.3", 80, false)]
    [InlineData("*:9464", "::", 9464, false)]
    [InlineData(" 127.0.0.2:65535 ", "127.0.0.2", 65535, true)]
    public void An_address_parses_to_its_endpoint_and_loopbackness(string text, string address, int port, bool loopback)
    {
        HttpListenAddress a = HttpListenAddress.Parse(text);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), a.EndPoint);
        Assert.Equal(loopback, a.IsLoopback);
        Assert.False(a.IsOff);
    }

    [Theory]
    [InlineData("off")]
    [InlineData("OFF")]
    public void Off_is_no_endpoint(string text) => Assert.True(HttpListenAddress.Parse(text).IsOff);

    [Theory]
    [InlineData("", "expected HOST:PORT")]
    [InlineData("9464", "expected HOST:PORT")]
    [InlineData("127.0.0.1", "expected HOST:PORT")]
    [InlineData("127.0.0.1:", "expected HOST:PORT")]
    [InlineData("127.0.0.1:http", "is not a port")]
    [InlineData("127.0.0.1:-1", "is not a port")]
    [InlineData("127.0.0.1:65536", "is not a port")]
    [InlineData("verifier.example:9464", "is not an IP address")]
    [InlineData("127.1:9464", "is not an IP address")]
    [InlineData("::1:9464", "is not an IP address")]
    public void A_bad_value_names_the_setting_and_why(string text, string why)
    {
        var e = Assert.Throws<InvalidHttpConfigurationException>(() => HttpListenAddress.Parse(text));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.Contains("Http:Listen (--http, KCRYPTPUSH_HTTP)", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, true)]
    [InlineData("127.0.0.1:0", null, true)]
    [InlineData("off", null, true)]
    [InlineData("0.0.0.0:9464", null, false)]
    [InlineData("0.0.0.0:9464", "  ", false)]
    [InlineData("0.0.0.0:9464", "s3cret", true)]
    [InlineData("[::]:9464", "s3cret", true)]
    public void A_non_loopback_address_needs_a_token(string? listen, string? token, bool starts)
    {
        IConfiguration c = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [HttpOptions.ListenKey] = listen,
            [HttpOptions.BearerTokenKey] = token,
        }).Build();
        if (starts)
        {
            HttpListenerSettings s = KcryptPushHttp.Settings(c, HttpOptions.VerifierDefault);
            Assert.Equal(HttpListenAddress.Parse(listen ?? HttpOptions.VerifierDefault), s.Address);
            Assert.Equal(string.IsNullOrWhiteSpace(token) ? null : token, s.BearerToken);
        }
        else
        {
            var e = Assert.Throws<InvalidHttpConfigurationException>(() => KcryptPushHttp.Settings(c, HttpOptions.VerifierDefault));
            Assert.Contains("set a bearer token", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_check_that_throws_makes_the_service_unready_with_its_message()
    {
        var probe = new ReadinessProbe([new Fixed("broker", true), new Throwing(), new Fixed("store", false)]);
        ReadinessReport r = probe.Evaluate();
        Assert.False(r.Ready);
        Assert.Equal(["boom", "store"], r.Failing);
        Assert.Contains("exploded", r.Checks[1].Detail, StringComparison.Ordinal);
        Assert.True(new ReadinessProbe([new Fixed("broker", true)]).Evaluate().Ready);
    }

    private sealed class Fixed(string name, bool ready) : IReadinessCheck
    {
        public string Name => name;

        public ReadinessResult Check() => new(ready, name);
    }

    private sealed class Throwing : IReadinessCheck
    {
        public string Name => "boom";

        public ReadinessResult Check() => throw new InvalidOperationException("exploded");
    }
}
