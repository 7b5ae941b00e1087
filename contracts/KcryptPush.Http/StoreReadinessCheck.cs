namespace KcryptPush.Http;

/// <summary>
/// <c>store</c>: the database file can be written. Asked from outside the store (the store holds the
/// file open): the file, when it exists, is writable by this process, its directory takes a new
/// file (LiteDB writes its -log file beside it) and the file system has room.
/// </summary>
public sealed class StoreReadinessCheck(string path) : IReadinessCheck
{
    /// <summary>Below this much free space a write may fail half-way.</summary>
    public const long MinimumFreeBytes = 1024 * 1024;

    /// <inheritdoc/>
    public string Name => "store";

    /// <inheritdoc/>
    public ReadinessResult Check()
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? "/";
        var file = new FileInfo(full);
        if (file.Exists && file.IsReadOnly)
        {
            return ReadinessResult.Fail($"{full} is read-only for this process");
        }

        try
        {
            string probe = Path.Combine(directory, $".{Path.GetFileName(full)}.ready-{Environment.ProcessId}");
            using (var s = new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
                s.WriteByte(0);
                s.Flush(flushToDisk: false);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ReadinessResult.Fail($"cannot write in {directory}: {e.Message}");
        }

        long free = new DriveInfo(directory).AvailableFreeSpace;
        return free < MinimumFreeBytes
            ? ReadinessResult.Fail($"{directory}: only {free} bytes free")
            : ReadinessResult.Pass($"{full} writable");
    }
}
