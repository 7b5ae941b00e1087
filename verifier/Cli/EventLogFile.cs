using KcryptPush.Attestation.EventLog;

namespace KcryptPush.Verifier.Cli;

/// <summary>Reads and parses an event log file for the CLI.</summary>
internal static class EventLogFile
{
    /// <summary>Larger files are refused before reading: real logs are well under 1 MiB.</summary>
    public const long MaxFileSize = 64L * 1024 * 1024;

    /// <summary>Reads <paramref name="path"/> and parses it.</summary>
    /// <exception cref="CliInputException">The path is empty or a directory, the file is missing,
    /// unreadable or too large: one line each, naming the path.</exception>
    /// <exception cref="EventLogFormatException">The log is malformed.</exception>
    public static ParsedEventLog Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            throw new CliInputException("event log path is empty: give the path of an event log file");
        }
        byte[] bytes;
        try
        {
            if (Directory.Exists(path))
            {
                throw new CliInputException($"{path}: is a directory, not an event log file");
            }
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
            // .NET's messages can span lines or end in "(Parameter 'path')"; the CLI prints one line.
            string message = e.Message.Split(" (Parameter")[0].ReplaceLineEndings(" ");
            throw new CliInputException($"{path}: cannot read the event log: {message}");
        }
        return EventLogParser.Parse(bytes);
    }
}
