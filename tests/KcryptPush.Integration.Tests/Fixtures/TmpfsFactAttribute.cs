namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>
/// A fact that mounts a private tmpfs (a store on a file system the test can fill or make read-only).
/// Mounting needs root (CI runs as root) and a mount namespace that allows it; where a probe mount
/// fails the test is reported skipped with the reason, never passed (xunit 2 has no run-time skip:
/// the probe runs when the test is discovered).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (TmpfsProbe.Missing.Value is { } missing)
        {
            Skip = $"SKIPPED: {missing}";
        }
    }
}

/// <summary>Whether this process can mount a tmpfs, probed once per test run.</summary>
public static class TmpfsProbe
{
    /// <summary>Why a tmpfs cannot be mounted here, or null.</summary>
    public static readonly Lazy<string?> Missing = new(Probe);

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "mounting a tmpfs needs Linux";
        }

        if (Environment.UserName != "root" && !IsRoot())
        {
            return $"mounting a tmpfs needs root (running as {Environment.UserName}); run as root to test a full or read-only store";
        }

        string dir = Directory.CreateTempSubdirectory("kcp-tmpfs-probe-").FullName;
        try
        {
            ProcessResult mount = ProcessRunner.Run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], timeout: TimeSpan.FromSeconds(20));
            if (mount.ExitCode != 0)
            {
                return $"cannot mount a tmpfs (mount exited {mount.ExitCode}: {mount.StdErr.Trim()})";
            }

            ProcessRunner.Run("umount", [dir], timeout: TimeSpan.FromSeconds(20));
            return null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException or IOException)
        {
            return $"cannot mount a tmpfs ({e.Message})";
        }
        finally
        {
            try
            {
                Directory.Delete(dir);
            }
            catch (IOException)
            {
            }
        }
    }

    // geteuid without P/Invoke: /proc/self/status "Uid: real effective saved fs".
    private static bool IsRoot()
    {
        string? uid = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return uid?.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) is [_, _, "0", ..];
    }
}
