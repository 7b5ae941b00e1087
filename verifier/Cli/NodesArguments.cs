using System.Globalization;
using KcryptPush.Contracts.Text;
using KcryptPush.Verifier.Operator;

namespace KcryptPush.Verifier.Cli;

/// <summary>Parsing of the <c>nodes</c> commands' arguments; each problem is a <see cref="CliInputException"/> (exit 2).</summary>
internal static class NodesArguments
{
    /// <summary>A TPM hash (64 hex digits, any case) as the verifier keys it: lowercase.</summary>
    public static string Hash(string? text)
    {
        string lower = (text ?? "").Trim().ToLowerInvariant();
        return OperatorInput.IsTpmHash(lower)
            ? lower
            : throw new CliInputException($"'{text}' is not a TPM hash (64 hex digits: SHA-256 of the EK's DER SubjectPublicKeyInfo)");
    }

    /// <summary><c>BANK:INDEX</c>, e.g. <c>sha256:7</c>.</summary>
    public static (string Bank, int Index) Selector(string? text)
    {
        string[] parts = (text ?? "").Split(':');
        if (parts.Length != 2 || !OperatorInput.TryDigestSize(parts[0].ToLowerInvariant(), out _))
        {
            throw new CliInputException($"'{text}' is not BANK:INDEX (bank sha1, sha256, sha384 or sha512, e.g. sha256:7)");
        }

        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= OperatorInput.PcrCount)
        {
            throw new CliInputException($"'{text}': the PCR index must be 0..{OperatorInput.PcrCount - 1}");
        }

        return (parts[0].ToLowerInvariant(), index);
    }

    /// <summary>A PCR value for <paramref name="bank"/>: hex of the bank's digest size (an optional 0x prefix is dropped), lowercase.</summary>
    public static string PcrValue(string bank, string text)
    {
        string hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        return OperatorInput.PcrValueProblem(bank, hex) is { } problem ? throw new CliInputException(problem) : hex.ToLowerInvariant();
    }

    /// <summary><c>--timeout</c>: 10s, 500ms, 2m, plain seconds or hh:mm:ss (<see cref="Durations"/>).</summary>
    public static TimeSpan Timeout(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return TimeSpan.FromSeconds(10);
        }

        try
        {
            return Durations.Parse(text, "--timeout");
        }
        catch (FormatException e)
        {
            throw new CliInputException(e.Message);
        }
    }

    /// <summary><c>--operator</c>, else $USER, else "operator".</summary>
    public static string Operator(string? text)
    {
        string name = !string.IsNullOrWhiteSpace(text) ? text.Trim()
            : Environment.GetEnvironmentVariable("USER") is { Length: > 0 } user ? user : "operator";
        return OperatorInput.IsText(name) ? name : throw new CliInputException($"--operator '{text}' is not a usable name");
    }
}
