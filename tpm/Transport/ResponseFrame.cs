using System.Buffers.Binary;

namespace KcryptPush.Tpm.Transport;

/// <summary>
/// The response header every TPM 2.0 response starts with (TPM 2.0 Part 1 §18.9 / Part 3 §4):
/// tag u16, responseSize u32 (the whole response), responseCode u32.
/// </summary>
internal static class ResponseFrame
{
    public const int HeaderSize = 10;

    /// <summary>Larger than any TPM's TPM_PT_MAX_RESPONSE_SIZE; guards against garbage sizes.</summary>
    public const int MaxResponseSize = 64 * 1024;

    /// <summary>Reads responseSize from a header and checks it is plausible.</summary>
    public static int ReadSize(ReadOnlySpan<byte> header, string source)
    {
        ushort tag = BinaryPrimitives.ReadUInt16BigEndian(header);
        if (tag is not (0x8001 or 0x8002 or 0x00C4))
        {
            throw new TpmTransportException($"{source} answered with tag 0x{tag:X4}, which is not a TPM response tag");
        }
        uint size = BinaryPrimitives.ReadUInt32BigEndian(header[2..]);
        if (size < HeaderSize || size > MaxResponseSize)
        {
            throw new TpmTransportException($"{source} answered with responseSize {size}, outside {HeaderSize}..{MaxResponseSize}");
        }
        return (int)size;
    }

    public static void CheckCommand(ReadOnlySpan<byte> command)
    {
        if (command.Length < HeaderSize)
        {
            throw new ArgumentException($"a TPM command is at least {HeaderSize} bytes; got {command.Length}", nameof(command));
        }
        uint size = BinaryPrimitives.ReadUInt32BigEndian(command[2..]);
        if (size != command.Length)
        {
            throw new ArgumentException($"commandSize {size} does not match the {command.Length} bytes given", nameof(command));
        }
    }
}
