using System.Net.Sockets;

namespace KcryptPush.Tpm.Transport;

/// <summary>
/// swtpm's TCP data port: raw TPM 2.0 command bytes in, raw response bytes out, no extra framing
/// (swtpm <c>mainloop.c</c>; unlike the Microsoft simulator's framing). swtpm serves one client
/// at a time and keeps sessions and transient objects after we disconnect: flush what you load.
/// </summary>
public sealed class SwtpmTransport : ITpmTransport
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;

    private SwtpmTransport(TcpClient client, string description)
    {
        _client = client;
        _stream = client.GetStream();
        Description = description;
    }

    public string Description { get; }

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/> within <paramref name="timeout"/>.</summary>
    /// <exception cref="TpmTransportException">Nothing accepted the connection in time.</exception>
    public static SwtpmTransport Connect(string host, int port, TimeSpan timeout)
    {
        string description = $"swtpm:{host}:{port}";
        var client = new TcpClient { NoDelay = true };
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            client.ConnectAsync(host, port, cts.Token).AsTask().GetAwaiter().GetResult();
            client.ReceiveTimeout = (int)timeout.TotalMilliseconds;
            client.SendTimeout = (int)timeout.TotalMilliseconds;
            return new SwtpmTransport(client, description);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            client.Dispose();
            string why = e is OperationCanceledException ? $"no connection within {timeout.TotalSeconds:0.#} s" : e.Message;
            throw new TpmTransportException($"cannot connect to TPM at {description}: {why}", e);
        }
    }

    public byte[] Transmit(ReadOnlySpan<byte> command)
    {
        ResponseFrame.CheckCommand(command);
        try
        {
            _stream.Write(command);
            Span<byte> header = stackalloc byte[ResponseFrame.HeaderSize];
            _stream.ReadExactly(header);
            int size = ResponseFrame.ReadSize(header, Description);
            byte[] response = new byte[size];
            header.CopyTo(response);
            _stream.ReadExactly(response.AsSpan(ResponseFrame.HeaderSize));
            return response;
        }
        catch (Exception e) when (e is IOException or SocketException && e is not TpmTransportException)
        {
            throw new TpmTransportException($"TPM at {Description} did not answer: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _client.Dispose();
    }
}
