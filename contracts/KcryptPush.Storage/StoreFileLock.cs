namespace KcryptPush.Storage;

/// <summary>
/// The lock file beside a LiteDB store (<c>PATH.lock</c>), held exclusively while the store is open:
/// LiteDB direct mode gives the file to one process, so a second opener (an offline <c>--db</c> command
/// while the service runs) must fail at once rather than corrupt the file as a second writer.
/// </summary>
public static class StoreFileLock
{
    /// <summary>The lock file that marks the database <paramref name="path"/> as held: <c>PATH.lock</c>.</summary>
    public static string PathOf(string path) => Path.GetFullPath(path) + ".lock";

    /// <summary>Takes the lock of the database <paramref name="path"/>; dispose the stream to release it.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="inUse">The service's own exception for a lock held elsewhere, from the path and the IOException (if any).</param>
    public static FileStream Take(string path, Func<string, Exception?, Exception> inUse)
    {
        ArgumentNullException.ThrowIfNull(inUse);
        string lockPath = PathOf(path);
        try
        {
            // .NET takes an advisory flock(LOCK_EX) for FileShare.None: a second opener, in this or another
            // process, gets an IOException at once instead of a LiteDB file corrupted by two writers.
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException e) when (HeldElsewhere(e))
        {
            throw inUse(path, e);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            // Not a lock held elsewhere: a read-only file system, a full disk, an I/O error. Said as it is
            // (a read-only file system reported as "in use by a running verifier" sent operators looking
            // for a process that did not exist).
            throw new IOException($"cannot take the lock {lockPath}: {e.Message}", e);
        }
        catch (UnauthorizedAccessException) when (File.Exists(lockPath))
        {
            throw inUse(path, null);
        }
    }

    // .NET reports the flock(LOCK_EX | LOCK_NB) that another holder refused as a sharing violation:
    // EWOULDBLOCK (EAGAIN, 11 on Linux) as the exception's HResult, and its sharing-violation message.
    private static bool HeldElsewhere(IOException e) =>
        e.HResult == EWouldBlock || e.Message.Contains("being used by another process", StringComparison.Ordinal);

    private const int EWouldBlock = 11;
}
