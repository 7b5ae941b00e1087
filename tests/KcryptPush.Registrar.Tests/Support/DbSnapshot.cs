namespace KcryptPush.Registrar.Tests.Support;

/// <summary>
/// A copy of a registrar LiteDB file that a running store holds (direct mode: no second opener), to read
/// what was committed to the file: the log (<c>NAME-log.db</c>) first, then the data file, so the copy
/// holds every committed transaction (a checkpoint between the two copies only moves pages the log still has).
/// </summary>
internal sealed class DbSnapshot : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-registrar-snapshot-").FullName;

    public DbSnapshot(string path)
    {
        string log = Path.Combine(Path.GetDirectoryName(path)!, Path.GetFileNameWithoutExtension(path) + "-log" + Path.GetExtension(path));
        if (File.Exists(log))
        {
            File.Copy(log, Path.Combine(_dir, Path.GetFileName(log)));
        }

        DataFile = Path.Combine(_dir, Path.GetFileName(path));
        File.Copy(path, DataFile);
    }

    /// <summary>The copy of the data file.</summary>
    public string DataFile { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp directory is harmless
        }
    }
}
