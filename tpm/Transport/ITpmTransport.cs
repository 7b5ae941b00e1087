namespace KcryptPush.Tpm.Transport;

/// <summary>
/// Moves one raw TPM 2.0 command to a TPM and its whole response back (TPM 2.0 Part 3 §4: the
/// command and the response each start with tag u16, size u32). The transport checks only the
/// framing; response codes are the caller's business. Not thread-safe: one command at a time.
/// </summary>
public interface ITpmTransport : IDisposable
{
    /// <summary>What this transport talks to, e.g. "swtpm:127.0.0.1:2321".</summary>
    string Description { get; }

    /// <summary>Sends <paramref name="command"/> and returns the complete response (responseSize bytes).</summary>
    /// <exception cref="TpmTransportException">The TPM could not be reached, timed out or sent a broken frame.</exception>
    byte[] Transmit(ReadOnlySpan<byte> command);
}
