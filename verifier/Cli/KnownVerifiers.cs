using System.Text;
using KcryptPush.Verifier.Operator;

namespace KcryptPush.Verifier.Cli;

/// <summary>
/// The operator's pins of verifiers' secret transport keys, one line per broker endpoint
/// (<c>host:port/vhost FINGERPRINT</c>, <c>#</c> comments), like OpenSSH's known_hosts. Whoever can
/// answer <c>GetSecretKey</c> on the broker (a stolen verifier login, a broker administrator) could hand
/// <c>nodes set-secret</c> their own key and read the passphrase; a pinned key turns that into a refusal.
/// The file is <c>--known-verifiers</c>, else <c>KCRYPTPUSH_KNOWN_VERIFIERS</c>, else
/// <c>$XDG_CONFIG_HOME/kcrypt-push/known_verifiers</c> (<c>~/.config/...</c>).
/// </summary>
public sealed class KnownVerifiers
{
    /// <summary>Environment variable naming the file.</summary>
    public const string EnvironmentVariable = "KCRYPTPUSH_KNOWN_VERIFIERS";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly List<string> _lines;

    private KnownVerifiers(string path, List<string> lines)
    {
        Path = path;
        _lines = lines;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The file to use: the option, the environment, or the per-user default.</summary>
    /// <exception cref="CliInputException">No option, no environment variable and no home directory.</exception>
    public static string Resolve(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return System.IO.Path.GetFullPath(option);
        }

        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnv)
        {
            return System.IO.Path.GetFullPath(fromEnv);
        }

        string? config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (string.IsNullOrEmpty(config))
        {
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home))
            {
                throw new CliInputException($"no file to pin the verifier's key in: pass --known-verifiers FILE or set {EnvironmentVariable}");
            }

            config = System.IO.Path.Combine(home, ".config");
        }

        return System.IO.Path.Combine(config, "kcrypt-push", "known_verifiers");
    }

    /// <summary>Reads the file (a missing file holds no pins).</summary>
    /// <exception cref="CliInputException">A line that is neither a comment nor <c>ENDPOINT FINGERPRINT</c>, or the file cannot be read.</exception>
    public static KnownVerifiers Load(string path)
    {
        List<string> lines;
        try
        {
            lines = File.Exists(path) ? [.. File.ReadAllLines(path)] : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"cannot read {path}: {e.Message}");
        }

        for (int i = 0; i < lines.Count; i++)
        {
            if (!IsComment(lines[i]) && Parse(lines[i]) is null)
            {
                throw new CliInputException($"{path}:{i + 1}: expected 'HOST:PORT/VHOST {KeyFingerprint.Prefix}BASE64' or a # comment");
            }
        }

        return new KnownVerifiers(path, lines);
    }

    /// <summary>The fingerprint pinned for <paramref name="endpoint"/>, if any.</summary>
    public string? Find(string endpoint) =>
        _lines.Where(l => !IsComment(l)).Select(Parse).FirstOrDefault(p => p!.Value.Endpoint == endpoint)?.Fingerprint;

    /// <summary>
    /// Compares what the verifier sent with the pin and with what the operator said to expect. Pure, so
    /// every case is a unit test; the caller writes the pin when <see cref="PinCheck.Pin"/> says so.
    /// </summary>
    public static PinCheck Check(string? pinned, string? expected, string actual)
    {
        if (expected is not null)
        {
            return expected == actual
                ? new PinCheck(Trusted: true, Pin: pinned != actual, Message: pinned is null || pinned == actual ? null : $"replacing the pin {pinned} with {actual} as --verifier-fingerprint says")
                : new PinCheck(false, false, $"the verifier's key is {actual}, not the {expected} that --verifier-fingerprint expects: nothing was sent");
        }

        if (pinned is null)
        {
            return new PinCheck(true, true, $"first use of this verifier: its key {actual} is now pinned; compare it with 'kcrypt-push-verifier secret-key' on the verifier's host");
        }

        return pinned == actual
            ? new PinCheck(true, false, null)
            : new PinCheck(false, false, $"the verifier's key changed: {actual} was sent, {pinned} is pinned. Someone may be answering for the verifier; nothing was sent. If the key really changed, check 'kcrypt-push-verifier secret-key' on the verifier's host and pass --verifier-fingerprint with it");
    }

    /// <summary>Pins <paramref name="fingerprint"/> for <paramref name="endpoint"/> (replacing an older pin) and writes the file atomically, owner-only.</summary>
    /// <exception cref="CliInputException">The file cannot be written.</exception>
    public void Pin(string endpoint, string fingerprint)
    {
        _lines.RemoveAll(l => !IsComment(l) && Parse(l)!.Value.Endpoint == endpoint);
        _lines.Add($"{endpoint} {fingerprint}");
        string dir = System.IO.Path.GetDirectoryName(Path) ?? "/";
        string temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(dir);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnly;
            }

            using (var writer = new StreamWriter(temp, Encoding.UTF8, options))
            {
                foreach (string line in _lines)
                {
                    writer.Write(line);
                    writer.Write('\n');
                }
            }

            File.Move(temp, Path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new CliInputException($"cannot pin the verifier's key in {Path}: {e.Message}; nothing was sent");
        }
    }

    private static bool IsComment(string line) => line.AsSpan().Trim().IsEmpty || line.TrimStart().StartsWith('#');

    private static (string Endpoint, string Fingerprint)? Parse(string line)
    {
        string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return fields is [var endpoint, var fingerprint] && endpoint.Contains(':') && KeyFingerprint.IsWellFormed(fingerprint)
            ? (endpoint, fingerprint)
            : null;
    }
}

/// <summary>The outcome of <see cref="KnownVerifiers.Check"/>: whether to send, whether to write the pin, and what to tell the operator.</summary>
public readonly record struct PinCheck(bool Trusted, bool Pin, string? Message);
