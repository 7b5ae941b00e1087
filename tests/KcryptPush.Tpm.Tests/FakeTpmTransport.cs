using KcryptPush.Tpm.Transport;

namespace KcryptPush.Tpm.Tests;

/// <summary>Records every command and answers with queued responses, in order.</summary>
internal sealed class FakeTpmTransport : ITpmTransport
{
    private readonly Queue<byte[]> _responses = new();

    public List<byte[]> Commands { get; } = [];

    public string Description => "fake";

    public bool Disposed { get; private set; }

    public FakeTpmTransport Answer(string hex)
    {
        _responses.Enqueue(Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal)));
        return this;
    }

    public byte[] Transmit(ReadOnlySpan<byte> command)
    {
        Commands.Add(command.ToArray());
        return _responses.Count > 0 ? _responses.Dequeue() : throw new InvalidOperationException("no response queued");
    }

    public void Dispose() => Disposed = true;
}
