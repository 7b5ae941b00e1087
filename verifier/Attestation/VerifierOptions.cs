using System.Globalization;
using KcryptPush.Contracts.Text;
using KcryptPush.Tpm.Types;
using Microsoft.Extensions.Configuration;

namespace KcryptPush.Verifier.Attestation;

/// <summary>
/// The verifier's attestation settings (configuration section <c>Verifier</c>; <c>--interval</c> /
/// <c>KCRYPTPUSH_INTERVAL</c> set <c>Verifier:Interval</c>).
/// </summary>
public sealed class VerifierOptions
{
    /// <summary>The configuration key of the interval.</summary>
    public const string IntervalKey = "Verifier:Interval";

    /// <summary>The attestation interval (default 60 s).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a challenge is valid (default 2 × interval).</summary>
    public TimeSpan? ChallengeExpiry { get; init; }

    /// <summary>The banks a challenge selects, all 24 PCRs each (default sha1 and sha256).</summary>
    public IReadOnlyList<string> Banks { get; init; } = ["sha1", "sha256"];

    /// <summary>Nonce size in bytes (default 32).</summary>
    public int NonceSize { get; init; } = 32;

    /// <summary>Intervals without evidence before a node is reported silent (default 5).</summary>
    public int SilentIntervals { get; init; } = 5;

    /// <summary>Re-learns a node may make per 24 hours (default 3).</summary>
    public int RelearnsPerDay { get; init; } = 3;

    /// <summary>History records kept per node (default 100).</summary>
    public int HistoryLength { get; init; } = 100;

    /// <summary>Path of the fleet's default measured-boot policy (a file made by <c>policy create</c>), applied to every
    /// node without a policy of its own; null: none. Loaded and validated when the service starts.</summary>
    public string? DefaultBootPolicy { get; init; }

    /// <summary>Largest event log accepted in a QuoteSubmitted, checked before it is hashed or parsed (default 1 MiB).</summary>
    public int MaxEventLogBytes { get; init; } = 1 << 20;

    /// <summary>Most PCR banks a QuoteSubmitted may report (default 8).</summary>
    public int MaxPcrBanks { get; init; } = 8;

    /// <summary>Most PCR values per bank a QuoteSubmitted may report (default 24, the PC Client PCR count).</summary>
    public int MaxPcrsPerBank { get; init; } = 24;

    /// <summary>Memory budget of the parsed event log cache, estimated from log bytes and events (default 32 MiB).</summary>
    public long ParsedLogCacheBytes { get; init; } = 32L << 20;

    /// <summary>Enrolled AKs kept imported (default 16,384; 2-3.5 KB each). A fleet larger than this pays an AK import
    /// (several times a quote's signature check) on most attestations: size it to the fleet where memory allows.</summary>
    public int AkCacheEntries { get; init; } = AkVerifierCache.DefaultCapacity;

    /// <summary>RequestChallenge messages answered per node per minute (default 12); more are refused with <c>rate-limited</c>.</summary>
    public int ChallengeRequestsPerMinute { get; init; } = 12;

    /// <summary>Unused, unexpired challenges issued on request per node (default 4); more are refused until one is used or expires.</summary>
    public int MaxOutstandingChallenges { get; init; } = 4;

    /// <summary>Authenticated QuoteSubmitted judged per node per minute (default 30); more are refused with <c>rate-limited</c>, unjudged.</summary>
    public int QuotesPerMinute { get; init; } = 30;

    /// <summary>
    /// The lowest TPM firmwareVersion (TPMS_ATTEST, TPM_PT_FIRMWARE_VERSION_1 ‖ _2) a node may attest
    /// with; null accepts any. Configured as <c>XXXXXXXX.XXXXXXXX</c> (what <c>tpm info</c> prints) or <c>0x</c> + 16 hex digits.
    /// </summary>
    public ulong? MinTpmFirmwareVersion { get; init; }

    /// <summary>The effective challenge expiry.</summary>
    public TimeSpan EffectiveChallengeExpiry => ChallengeExpiry ?? 2 * Interval;

    /// <summary>Reads the <c>Verifier</c> section.</summary>
    /// <exception cref="FormatException">A value does not parse or is out of range.</exception>
    public static VerifierOptions From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        IConfigurationSection s = configuration.GetSection("Verifier");
        var o = new VerifierOptions();
        TimeSpan interval = s["Interval"] is { Length: > 0 } i ? ParseDuration(i, "Verifier:Interval") : o.Interval;
        TimeSpan? expiry = s["ChallengeExpiry"] is { Length: > 0 } e ? ParseDuration(e, "Verifier:ChallengeExpiry") : null;
        IReadOnlyList<string> banks = s["Banks"] is { Length: > 0 } b
            ? b.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => x.ToLowerInvariant()).ToArray()
            : o.Banks;
        foreach (string bank in banks)
        {
            if (!TpmAlgorithms.TryParsePcrBank(bank, out _))
            {
                throw new FormatException($"Verifier:Banks: unknown bank '{bank}' ({string.Join(", ", TpmAlgorithms.PcrBanks.Select(b => TpmAlgorithms.BankName(b)))})");
            }
        }

        return new VerifierOptions
        {
            Interval = interval,
            ChallengeExpiry = expiry,
            Banks = banks,
            NonceSize = Int(s, "NonceSize", o.NonceSize, 16, 64),
            SilentIntervals = Int(s, "SilentIntervals", o.SilentIntervals, 1, 10_000),
            RelearnsPerDay = Int(s, "RelearnsPerDay", o.RelearnsPerDay, 0, 10_000),
            HistoryLength = Int(s, "HistoryLength", o.HistoryLength, 1, 100_000),
            DefaultBootPolicy = s["DefaultBootPolicy"] is { Length: > 0 } bootPolicy ? bootPolicy : null,
            MaxEventLogBytes = Int(s, "MaxEventLogBytes", o.MaxEventLogBytes, 4096, 64 << 20),
            MaxPcrBanks = Int(s, "MaxPcrBanks", o.MaxPcrBanks, 1, 16),
            MaxPcrsPerBank = Int(s, "MaxPcrsPerBank", o.MaxPcrsPerBank, 1, 256),
            ParsedLogCacheBytes = Int(s, "ParsedLogCacheMiB", (int)(o.ParsedLogCacheBytes >> 20), 1, 16_384) * (1L << 20),
            AkCacheEntries = Int(s, "AkCacheEntries", o.AkCacheEntries, 1, 10_000_000),
            ChallengeRequestsPerMinute = Int(s, "ChallengeRequestsPerMinute", o.ChallengeRequestsPerMinute, 1, 100_000),
            MaxOutstandingChallenges = Int(s, "MaxOutstandingChallenges", o.MaxOutstandingChallenges, 1, 1_000),
            QuotesPerMinute = Int(s, "QuotesPerMinute", o.QuotesPerMinute, 1, 100_000),
            MinTpmFirmwareVersion = s["MinTpmFirmwareVersion"] is { Length: > 0 } fw ? ParseFirmwareVersion(fw) : null,
        };
    }

    /// <summary>
    /// Parses a duration in the one grammar of every command line (<see cref="Durations"/>: <c>60s</c>, <c>2m</c>,
    /// <c>1h</c>, <c>500ms</c>, plain seconds, or <c>hh:mm:ss</c>; positive, at most 7 days), the agent's too.
    /// </summary>
    /// <exception cref="FormatException">Not such a duration; the message names <paramref name="what"/>.</exception>
    public static TimeSpan ParseDuration(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Durations.Parse(text, what);
    }

    /// <summary>Parses <c>XXXXXXXX.XXXXXXXX</c> (FIRMWARE_VERSION_1.FIRMWARE_VERSION_2 in hex) or <c>0x</c> + up to 16 hex digits.</summary>
    /// <exception cref="FormatException">Neither form.</exception>
    public static ulong ParseFirmwareVersion(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        string[] parts = t.Split('.');
        if (parts.Length == 2 && parts.All(p => p.Length is > 0 and <= 8)
            && uint.TryParse(parts[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint v1)
            && uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint v2))
        {
            return ((ulong)v1 << 32) | v2;
        }

        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && t.Length is > 2 and <= 18
            && ulong.TryParse(t[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong v))
        {
            return v;
        }

        throw new FormatException($"Verifier:MinTpmFirmwareVersion: '{text}' is neither XXXXXXXX.XXXXXXXX (hex, as 'tpm info' prints) nor 0x + 16 hex digits");
    }

    private static int Int(IConfigurationSection s, string key, int fallback, int min, int max)
    {
        if (s[key] is not { Length: > 0 } text)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
        {
            throw new FormatException($"Verifier:{key}: '{text}' must be an integer in {min}..{max}");
        }

        return v;
    }
}
