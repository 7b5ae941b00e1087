using KcryptPush.Attestation.BootPolicy;

namespace KcryptPush.Verifier.Cli;

/// <summary>Reads and writes measured-boot policy files for the CLI.</summary>
internal static class PolicyFile
{
    /// <summary>Larger policy files are refused before reading; a policy is a few KB.</summary>
    public const long MaxFileSize = 16L * 1024 * 1024;

    /// <summary>Reads and validates the policy at <paramref name="path"/>.</summary>
    /// <exception cref="CliInputException">The file is missing, unreadable or too large.</exception>
    /// <exception cref="BootPolicyFormatException">The file is not a valid policy.</exception>
    public static MeasuredBootPolicy Load(string path)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new CliInputException($"{path}: no such file");
            }
            if (info.Length > MaxFileSize)
            {
                throw new CliInputException($"{path}: {info.Length} bytes is larger than the {MaxFileSize}-byte limit for a policy");
            }
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliInputException($"{path}: {e.Message}");
        }
        try
        {
            return BootPolicyJson.Load(text);
        }
        catch (BootPolicyFormatException e)
        {
            throw new CliInputException($"{path}: {e.Message}");
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
