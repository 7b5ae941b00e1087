namespace KcryptPush.Verifier.Store;

/// <summary>
/// The embedded store's engine failed (<see cref="Cause"/>: a full disk, a file system turned read-only)
/// and is being reopened in this process, or was reopened while the unit that gets this was open (no
/// <see cref="Cause"/>): the operation did not complete (a unit whose checkpoint failed may be in the
/// file's log, which the reopened engine replays). The caller's message is not acknowledged
/// and comes again; a unit begun after the reopen works on what the file holds.
/// </summary>
public sealed class VerifierStoreUnavailableException(string path, Exception? cause)
    : IOException(
        cause is null
            ? $"{path}: the store was reopened while this unit was open: nothing of it was written, begin again"
            : $"{path}: the store failed ({cause.Message}) and is being reopened: this did not complete",
        cause)
{
    /// <summary>Why the engine failed; null for a unit begun before a reopen.</summary>
    public Exception? Cause { get; } = cause;
}
