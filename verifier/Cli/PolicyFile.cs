using KcryptPush.Attestation.BootPolicy;

namespace KcryptPush.Verifier.Cli;

/// <summary>Reads and writes measured-boot policy files for the CLI.</summary>
internal static class PolicyFile
{
    /// <summary>Larger policy files are refused before reading; a policy is a few KB.</summary>
    public const long MaxFileSize = 16L * 1024 * 1024;

    /// <summary>Reads and validates the policy at <paramref name="path"/>.</summary>
    /// <exception cref="CliInputException">The file is missing, unreadable, too large or not a valid policy: one line naming the path.</exception>
    public static MeasuredBootPolicy Load(string path) => Load(path, out _);

    /// <summary>Reads and validates the policy at <paramref name="path"/>; <paramref name="text"/> is the file as read.</summary>
    /// <exception cref="CliInputException">The file is missing, unreadable, too large or not a valid policy: one line naming the path.</exception>
    public static MeasuredBootPolicy Load(string path, out string text)
    {
        text = ReadText(path);
        try
        {
            return BootPolicyJson.Load(text);
        }
        catch (BootPolicyFormatException e)
        {
            throw new CliInputException($"{path}: {e.Message}");
        }
    }

    /// <summary>The text of the policy file at <paramref name="path"/>, at most <see cref="MaxFileSize"/> bytes.</summary>
    /// <exception cref="CliInputException">The path is empty or a directory, the file is missing, unreadable or too large.</exception>
    public static string ReadText(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            throw new CliInputException("policy path is empty: give the path of a policy file");
        }
        try
        {
            if (Directory.Exists(path))
            {
                throw new CliInputException($"{path}: is a directory, not a policy file");
            }
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new CliInputException($"{path}: no such file");
            }
            if (info.Length > MaxFileSize)
            {
                throw new CliInputException($"{path}: {info.Length} bytes is larger than the {MaxFileSize}-byte limit for a policy");
            }
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliInputException($"{path}: cannot read the policy: {e.Message.Split(" (Parameter")[0].ReplaceLineEndings(" ")}");
        }
    }

    /// <summary>Writes <paramref name="json"/> to <paramref name="path"/>.</summary>
    /// <exception cref="CliInputException">The file cannot be written.</exception>
    public static void Write(string path, string json)
    {
        try
        {
            File.WriteAllText(path, json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliInputException($"{path}: {e.Message}");
        }
    }
}
