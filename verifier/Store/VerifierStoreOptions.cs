using Microsoft.Extensions.Logging;

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

    /// <summary>
    /// LiteDB: how long after its engine failed (a full disk) the store first tries to reopen the file
    /// in this process; doubled after each attempt that fails, up to 10 s, and back to this once a unit
    /// commits (default 1 s).
    /// </summary>
    public TimeSpan ReopenDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Where the store reports a failed engine, its reopening and a failure it cannot recover from (optional).</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// LiteDB: called (once) when the failed engine cannot be replaced in this process (a call into it
    /// has not returned): the verifier then exits non-zero so that its service manager restarts it.
    /// </summary>
    public Action<Exception>? Unrecoverable { get; init; }
}
