using Microsoft.Win32.SafeHandles;

namespace KcryptPush.Tpm.Transport;

/// <summary>
/// A Linux TPM character device: <c>/dev/tpmrm0</c> (the kernel resource manager, which flushes our
/// sessions and objects when we close it) or <c>/dev/tpm0</c>. One write() carries the whole
/// command and the next read() returns the whole response (Linux <c>drivers/char/tpm/tpm-dev-common.c</c>).
/// </summary>
public sealed class DeviceTransport : ITpmTransport
{
    /// <summary>Linux's TPM_BUFSIZE: no response is larger.</summary>
    private const int BufferSize = 4096;

    private readonly SafeFileHandle _handle;
    private readonly TimeSpan _timeout;

    private DeviceTransport(SafeFileHandle handle, string path, TimeSpan timeout)
    {
        _handle = handle;
        _timeout = timeout;
        Description = $"device:{path}";
    }

    public string Description { get; }

    /// <exception cref="TpmTransportException">The device does not exist or cannot be opened.</exception>
    public static DeviceTransport Open(string path, TimeSpan timeout)
    {
        try
        {
            SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            return new DeviceTransport(handle, path, timeout);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TpmTransportException($"cannot open TPM device {path}: {e.Message}", e);
        }
    }

    public byte[] Transmit(ReadOnlySpan<byte> command)
    {
        ResponseFrame.CheckCommand(command);
        byte[] request = command.ToArray();
        // A character device read cannot be given a timeout; run it off-thread and give up after
        // the timeout (the kernel answers or fails every command eventually).
        Task<byte[]> exchange = Task.Run(() => Exchange(request));
        try
        {
            if (!exchange.Wait(_timeout))
            {
                throw new TpmTransportException($"TPM at {Description} did not answer within {_timeout.TotalSeconds:0.#} s");
            }
            return exchange.Result;
        }
        catch (AggregateException e) when (e.InnerException is TpmTransportException inner)
        {
            throw inner;
        }
        catch (AggregateException e) when (e.InnerException is IOException or UnauthorizedAccessException)
        {
            throw new TpmTransportException($"TPM at {Description} failed: {e.InnerException.Message}", e.InnerException);
        }
    }

    private byte[] Exchange(byte[] command)
    {
        RandomAccess.Write(_handle, command, 0);
        byte[] buffer = new byte[BufferSize];
        int read = 0;
        int expected = int.MaxValue;
        while (read < expected)
        {
            int n = RandomAccess.Read(_handle, buffer.AsSpan(read), 0);
            if (n == 0)
            {
                throw new TpmTransportException($"TPM at {Description} closed the response after {read} bytes");
            }
            read += n;
            if (expected == int.MaxValue && read >= ResponseFrame.HeaderSize)
            {
                expected = ResponseFrame.ReadSize(buffer, Description);
                if (expected > buffer.Length)
                {
                    throw new TpmTransportException($"TPM at {Description} announced {expected} bytes, more than the device buffer");
                }
            }
        }
        return buffer.AsSpan(0, expected).ToArray();
    }

    public void Dispose() => _handle.Dispose();
}
