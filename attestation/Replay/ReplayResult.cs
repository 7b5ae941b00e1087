namespace KcryptPush.Attestation.Replay;

/// <summary>What replaying a parsed (untrusted) event log gives, bank by bank.</summary>
public sealed class ReplayResult
{
    /// <summary>One entry per bank that could be replayed, in the log's bank order.</summary>
    public required IReadOnlyList<ReplayedBank> Banks { get; init; }

    /// <summary>Banks the log carries but this platform cannot hash (unknown or unsupported algorithm).</summary>
    public required IReadOnlyList<ushort> UnreplayableBanks { get; init; }

    /// <summary>The same banks as <see cref="UnreplayableBanks"/>, in the log's bank order, each with
    /// why it was not replayed.</summary>
    public IReadOnlyList<UnreplayedBank> NotReplayed { get; init; } = [];

    /// <summary>Events not extended, with the reason.</summary>
    public required IReadOnlyList<SkippedEvent> Skipped { get; init; }

    /// <summary>The last byte PCR 0 started with: StartupLocality's locality, 4 after an H-CRTM, else 0.</summary>
    public required byte Pcr0StartLocality { get; init; }

    /// <summary>Number of records in the log, including the Spec ID header and EV_NO_ACTION records.</summary>
    public required int EventCount { get; init; }

    /// <summary>The bank with this algorithm, or null.</summary>
    public ReplayedBank? Bank(ushort algorithmId)
    {
        foreach (ReplayedBank b in Banks)
        {
            if (b.AlgorithmId == algorithmId)
            {
                return b;
            }
        }
        return null;
    }
}
