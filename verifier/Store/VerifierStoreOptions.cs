namespace KcryptPush.Verifier.Store;

/// <summary>Limits and keys a verifier store is opened with (the same for every implementation).</summary>
public sealed record VerifierStoreOptions
{
    /// <summary>How many history records are kept per node (default 100).</summary>
    public int HistoryLength { get; init; } = 100;

    /// <summary>How many event logs are kept per node (default 4).</summary>
    public int LogsPerNode { get; init; } = 4;

    /// <summary>
    /// How stale a log's LastUsedAt may get before a use writes it again: the record carries the whole
    /// log (tens of KB), and which of a node's few logs was used most recently is only needed to the hour.
    /// </summary>
    public TimeSpan LogTouchInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The key secrets are sealed under; without it, secrets can be listed by label but not set or read.</summary>
    public SecretAtRestKey? SecretKey { get; init; }

    /// <summary>Opened only to read (offline commands): no schema change, no write.</summary>
    public bool ReadOnly { get; init; }
}
