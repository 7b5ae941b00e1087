using System.Security.Cryptography;

namespace KcryptPush.Agent.Attestation;

/// <summary>The binary event log as read at one instant, with its SHA-256 (what QuoteSubmitted names).</summary>
public sealed class EventLogSnapshot
{
    private EventLogSnapshot(byte[] bytes)
    {
        Bytes = bytes;
        Sha256 = SHA256.HashData(bytes);
    }

    /// <summary>The whole log.</summary>
    public byte[] Bytes { get; }

    /// <summary>SHA-256 of <see cref="Bytes"/>.</summary>
    public byte[] Sha256 { get; }

    /// <summary>Wraps bytes already read.</summary>
    public static EventLogSnapshot Of(byte[] bytes) => new(bytes ?? throw new ArgumentNullException(nameof(bytes)));

    /// <summary>
    /// Reads <paramref name="path"/> whole. securityfs files (binary_bios_measurements) report
    /// size 0, so the file is read as a stream to its end rather than by its length.
    /// </summary>
    /// <exception cref="EventLogUnavailableException">The file cannot be read.</exception>
    public static EventLogSnapshot Read(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            using var buffer = new MemoryStream();
            file.CopyTo(buffer, 64 * 1024);
            return new EventLogSnapshot(buffer.ToArray());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            throw new EventLogUnavailableException($"cannot read the event log {path}: {e.Message}", e);
        }
    }
}
