namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>
/// A tmpfs of its own under a private temporary directory, for a store the test fills up or makes
/// read-only; unmounted and deleted on dispose. Needs what <see cref="TmpfsFactAttribute"/> probes for.
/// </summary>
public sealed class PrivateTmpfs : IDisposable
{
    private readonly string _dir;
    private bool _mounted;

    private PrivateTmpfs(string dir) => _dir = dir;

    /// <summary>The mount point.</summary>
    public string Path => System.IO.Path.Combine(_dir, "fs");

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (mount's size option, e.g. <c>16m</c>) in a new temporary directory named after <paramref name="prefix"/>.</summary>
    /// <exception cref="InvalidOperationException">mount failed.</exception>
    public static PrivateTmpfs Mount(string prefix, string size)
    {
        var fs = new PrivateTmpfs(Directory.CreateTempSubdirectory(prefix).FullName);
        Directory.CreateDirectory(fs.Path);
        ProcessResult mount = ProcessRunner.Run("mount", ["-t", "tmpfs", "-o", $"size={size}", "tmpfs", fs.Path]);
        if (mount.ExitCode != 0)
        {
            fs.Dispose();
            throw new InvalidOperationException($"mount tmpfs: {mount.StdErr}");
        }

        fs._mounted = true;
        return fs;
    }

    /// <summary>Remounts it read-only or writable again.</summary>
    /// <exception cref="InvalidOperationException">mount failed.</exception>
    public void Remount(bool readOnly)
    {
        string option = readOnly ? "remount,ro" : "remount,rw";
        ProcessResult r = ProcessRunner.Run("mount", ["-o", option, Path]);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"{option}: {r.StdErr}");
        }
    }

    public void Dispose()
    {
        if (_mounted)
        {
            ProcessRunner.Run("umount", [Path]);
            _mounted = false;
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
