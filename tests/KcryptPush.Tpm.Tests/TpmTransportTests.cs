using System.Net;
using System.Net.Sockets;
using KcryptPush.Tpm.Transport;

namespace KcryptPush.Tpm.Tests;

/// <summary>The --tpm address forms and the swtpm TCP framing (raw bytes, size from the header).</summary>
[Trait("Category", "Integration")]
public sealed class TpmTransportTests
{
    private static readonly byte[] GetRandom2 = Convert.FromHexString("80010000000c0000017b0002");

    [Theory]
    [InlineData("device:/dev/tpmrm0", TpmAddressKind.Device, "/dev/tpmrm0", null, 0)]
    [InlineData("device:/dev/tpm0", TpmAddressKind.Device, "/dev/tpm0", null, 0)]
    [InlineData("swtpm:127.0.0.1:2321", TpmAddressKind.Swtpm, null, "127.0.0.1", 2321)]
    [InlineData("swtpm:localhost:65535", TpmAddressKind.Swtpm, null, "localhost", 65535)]
    [InlineData("swtpm:[::1]:2321", TpmAddressKind.Swtpm, null, "::1", 2321)]
    public void Valid_addresses_parse(string uri, TpmAddressKind kind, string? path, string? host, int port)
    {
        TpmAddress a = TpmTransportFactory.Parse(uri);

        Assert.Equal(new TpmAddress(kind, path, host, port), a);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/dev/tpmrm0")]
    [InlineData("device:")]
    [InlineData("device:dev/tpm0")]
    [InlineData("swtpm:127.0.0.1")]
    [InlineData("swtpm:127.0.0.1:0")]
    [InlineData("swtpm:127.0.0.1:70000")]
    [InlineData("swtpm:127.0.0.1:x")]
    [InlineData("swtpm::2321")]
    [InlineData("mssim:127.0.0.1:2321")]
    public void Invalid_addresses_give_a_typed_usage_error_naming_the_value(string uri)
    {
        InvalidTpmUriException e = Assert.Throws<InvalidTpmUriException>(() => TpmTransportFactory.Open(uri));

        Assert.Equal(uri, e.Uri);
        Assert.Contains("swtpm:HOST:PORT", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_device_is_a_transport_error()
    {
        TpmTransportException e = Assert.Throws<TpmTransportException>(
            () => TpmTransportFactory.Open("device:/nonexistent/tpmrm9"));

        Assert.Contains("/nonexistent/tpmrm9", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_listening_is_a_transport_error()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }

        Assert.Throws<TpmTransportException>(
            () => TpmTransportFactory.Open($"swtpm:127.0.0.1:{port}", TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task Swtpm_transport_sends_raw_bytes_and_reads_a_response_delivered_in_pieces()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        int port = ((IPEndPoint)server.LocalEndpoint).Port;
        byte[] received = new byte[GetRandom2.Length];
        Task serve = Task.Run(() =>
        {
            using TcpClient c = server.AcceptTcpClient();
            using NetworkStream s = c.GetStream();
            s.ReadExactly(received);
            // Header split across writes, then the body: the client must read by responseSize.
            s.Write(Convert.FromHexString("8001"));
            s.Flush();
            Thread.Sleep(20);
            s.Write(Convert.FromHexString("0000000e00000000"));
            s.Flush();
            Thread.Sleep(20);
            s.Write(Convert.FromHexString("0002abcd"));
        });

        using ITpmTransport t = TpmTransportFactory.Open($"swtpm:127.0.0.1:{port}", TimeSpan.FromSeconds(5));
        byte[] response = t.Transmit(GetRandom2);
        await serve.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(GetRandom2, received);
        Assert.Equal("80010000000e000000000002abcd", Convert.ToHexString(response).ToLowerInvariant());
    }

    [Fact]
    public async Task Swtpm_transport_times_out_when_the_tpm_stays_silent()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        int port = ((IPEndPoint)server.LocalEndpoint).Port;
        using var release = new ManualResetEventSlim();
        Task serve = Task.Run(() =>
        {
            using TcpClient c = server.AcceptTcpClient();
            release.Wait(TimeSpan.FromSeconds(10));
        });

        using ITpmTransport t = TpmTransportFactory.Open($"swtpm:127.0.0.1:{port}", TimeSpan.FromMilliseconds(300));
        Assert.Throws<TpmTransportException>(() => t.Transmit(GetRandom2));
        release.Set();
        await serve.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData("1234 0000000a 00000000")]
    [InlineData("8001 00000004 00000000")]
    [InlineData("8001 00ffffff 00000000")]
    public async Task Swtpm_transport_rejects_a_frame_that_is_not_a_tpm_response(string header)
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        int port = ((IPEndPoint)server.LocalEndpoint).Port;
        Task serve = Task.Run(() =>
        {
            using TcpClient c = server.AcceptTcpClient();
            using NetworkStream s = c.GetStream();
            s.ReadExactly(new byte[GetRandom2.Length]);
            s.Write(Convert.FromHexString(header.Replace(" ", "", StringComparison.Ordinal)));
            Thread.Sleep(200);
        });

        using ITpmTransport t = TpmTransportFactory.Open($"swtpm:127.0.0.1:{port}", TimeSpan.FromSeconds(5));
        Assert.Throws<TpmTransportException>(() => t.Transmit(GetRandom2));
        await serve.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_command_whose_size_field_is_wrong_is_refused_before_sending()
    {
        var fake = Convert.FromHexString("80010000000d0000017b0002");
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        int port = ((IPEndPoint)server.LocalEndpoint).Port;
        Task<TcpClient> accept = server.AcceptTcpClientAsync();

        using ITpmTransport t = TpmTransportFactory.Open($"swtpm:127.0.0.1:{port}", TimeSpan.FromSeconds(5));
        Assert.Throws<ArgumentException>(() => t.Transmit(fake));
        (await accept).Dispose();
    }
}
