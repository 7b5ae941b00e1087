using KcryptPush.Attestation.EventLog;

namespace KcryptPush.Verifier.Cli;

/// <summary>Reads and parses an event log file for the CLI.</summary>
internal static class EventLogFile
{
    /// <summary>Larger files are refused before reading: real logs are well under 1 MiB.</summary>
    public const long MaxFileSize = 64L * 1024 * 1024;

    /// <summary>Reads <paramref name="path"/> and parses it.</summary>
    /// <exception cref="CliInputException">The file is missing, unreadable or too large.</exception>
    /// <exception cref="EventLogFormatException">The log is malformed.</exception>
    public static ParsedEventLog Load(string path)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new CliInputException($"{path}: no such file");
            }
            if (info.Length > MaxFileSize)
            {
                throw new CliInputException($"{path}: {info.Length} bytes is larger than the {MaxFileSize}-byte limit for an event log");
            }
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliInputException($"{path}: {e.Message}");
        }
        return EventLogParser.Parse(bytes);
    }
}
