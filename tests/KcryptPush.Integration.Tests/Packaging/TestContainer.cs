using System.Diagnostics;
using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Packaging;

/// <summary>
/// The images the packaging tests run in, built here (no registry is reachable): a Debian bookworm
/// base from debootstrap (<see cref="BaseImage"/>, made once if missing) and, from it, an image
/// with systemd as PID 1 plus what the packages depend on (libssl3, ca-certificates).
/// </summary>
public static class TestImages
{
    /// <summary>The debootstrap base (SETUP.md); <c>KCRYPT_TEST_DEBIAN_IMAGE</c> names another.</summary>
    public static string BaseImage { get; } = Environment.GetEnvironmentVariable("KCRYPT_TEST_DEBIAN_IMAGE") is { Length: > 0 } image
        ? image
        : "local/debian:bookworm";

    /// <summary>Base + systemd, systemd-sysv, dbus and the packages' dependencies.</summary>
    public const string SystemdImage = "kcrypt-push-test/bookworm-systemd:1";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool _ready;

    public static bool BaseImageExists() =>
        ProcessRunner.Run("docker", ["image", "inspect", "--format", "{{.Id}}", BaseImage], timeout: TimeSpan.FromSeconds(30)).ExitCode == 0;

    /// <summary>Makes the images unless they exist (debootstrap ~1-4 min, the systemd layer ~40 s; cached by the engine).</summary>
    public static async Task EnsureAsync()
    {
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_ready)
            {
                return;
            }

            await Task.Run(() =>
            {
                if (!BaseImageExists())
                {
                    MakeBase();
                }

                string dir = Directory.CreateTempSubdirectory("kcrypt-push-image-").FullName;
                try
                {
                    File.WriteAllText(Path.Combine(dir, "Dockerfile"), $"""
                        FROM {BaseImage}
                        RUN apt-get update -qq \
                         && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                              systemd systemd-sysv dbus libssl3 ca-certificates procps > /dev/null \
                         && rm -rf /var/lib/apt/lists/*
                        STOPSIGNAL SIGRTMIN+3
                        CMD ["/sbin/init"]
                        """);
                    Docker(TimeSpan.FromMinutes(15), "build", "-q", "-t", SystemdImage, dir);
                }
                finally
                {
                    Directory.Delete(dir, recursive: true);
                }
            }).ConfigureAwait(false);
            _ready = true;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Runs docker and throws with its output unless it exits 0.</summary>
    public static ProcessResult Docker(TimeSpan timeout, params string[] args)
    {
        ProcessResult r = ProcessRunner.Run("docker", args, timeout: timeout);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', args)} exited {r.ExitCode}\n{r.StdErr}\n{r.StdOut}");
        }

        return r;
    }

    private static void MakeBase()
    {
        string root = Directory.CreateTempSubdirectory("kcrypt-push-debootstrap-").FullName;
        try
        {
            ProcessResult boot = ProcessRunner.Run("debootstrap", ["--variant=minbase", "bookworm", root, Mirror()], timeout: TimeSpan.FromMinutes(20));
            if (boot.ExitCode != 0)
            {
                throw new InvalidOperationException($"debootstrap exited {boot.ExitCode}\n{boot.StdErr}\n{boot.StdOut}");
            }

            ProcessResult import = ProcessRunner.Run("sh", ["-c", $"tar -C '{root}' -c . | docker import - '{BaseImage}'"], timeout: TimeSpan.FromMinutes(10));
            if (import.ExitCode != 0)
            {
                throw new InvalidOperationException($"docker import exited {import.ExitCode}\n{import.StdErr}");
            }
        }
        finally
        {
            ProcessRunner.Run("rm", ["-rf", root]);
        }
    }

    /// <summary>The Debian mirror this machine's apt already uses.</summary>
    private static string Mirror()
    {
        foreach (string file in new[] { "/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list" })
        {
            if (!File.Exists(file))
            {
                continue;
            }

            foreach (string line in File.ReadLines(file))
            {
                string[] f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (f.Length >= 2 && f[0] == "URIs:" && !f[1].Contains("security", StringComparison.Ordinal))
                {
                    return f[1];
                }

                if (f.Length >= 3 && f[0] == "deb" && !f[1].Contains("security", StringComparison.Ordinal))
                {
                    return f[1].StartsWith('[') ? f[2] : f[1];
                }
            }
        }

        return "http://deb.debian.org/debian";
    }
}

/// <summary>A container of <see cref="TestImages.SystemdImage"/>, removed (<c>docker rm -f</c>) on dispose.</summary>
public sealed class TestContainer : IDisposable
{
    private TestContainer(string name) => Name = name;

    public string Name { get; }

    /// <summary>
    /// Starts a container. <paramref name="systemd"/>: systemd as PID 1 (SETUP.md: /run and
    /// /run/lock on tmpfs, the host's cgroups read-only; CAP_SYS_ADMIN so that systemd can give
    /// units their own mount namespace, without which ProtectSystem=, PrivateTmp= and the other
    /// mount-based hardening are silently skipped), on the host's network so the units reach the
    /// test's broker and swtpm on 127.0.0.1. Otherwise a plain root with <c>sleep</c> as PID 1.
    /// </summary>
    public static TestContainer Start(bool systemd)
    {
        string name = $"kcrypt-push-test-{Guid.NewGuid():N}"[..30];
        string[] args = systemd
            ? ["run", "-d", "--name", name, "--network", "host", "--cap-add", "SYS_ADMIN",
               "--tmpfs", "/run", "--tmpfs", "/run/lock", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", TestImages.SystemdImage]
            : ["run", "-d", "--name", name, "--network", "none", "--entrypoint", "sleep", TestImages.SystemdImage, "infinity"];
        TestImages.Docker(TimeSpan.FromMinutes(2), args);
        var c = new TestContainer(name);
        if (systemd)
        {
            c.WaitUntil(TimeSpan.FromSeconds(90), () =>
            {
                string state = c.Sh("systemctl is-system-running || true").StdOut.Trim();
                return state is "running" or "degraded";
            }, "systemd did not reach running");
        }

        return c;
    }

    /// <summary><c>sh -c SCRIPT</c> in the container.</summary>
    public ProcessResult Sh(string script, string? stdin = null, TimeSpan? timeout = null) =>
        ProcessRunner.Run("docker", stdin is null ? ["exec", Name, "sh", "-c", script] : ["exec", "-i", Name, "sh", "-c", script],
            stdin: stdin, timeout: timeout ?? TimeSpan.FromMinutes(2));

    /// <summary>Like <see cref="Sh"/>, throwing with the output unless it exits 0; returns stdout.</summary>
    public string ShChecked(string script, string? stdin = null)
    {
        ProcessResult r = Sh(script, stdin);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"in {Name}: {script}\nexited {r.ExitCode}\n{r.StdErr}\n{r.StdOut}");
        }

        return r.StdOut;
    }

    /// <summary>Copies a host file into the container.</summary>
    public void CopyIn(string hostPath, string containerPath) => TestImages.Docker(TimeSpan.FromMinutes(2), "cp", hostPath, $"{Name}:{containerPath}");

    /// <summary>Polls <paramref name="condition"/> every 500 ms; throws <paramref name="what"/> (and the journal's tail) on timeout.</summary>
    public void WaitUntil(TimeSpan timeout, Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                string journal = Sh("journalctl -b --no-pager -n 60 -o short-monotonic 2>&1 || true").StdOut;
                throw new TimeoutException($"{what} within {timeout.TotalSeconds:0} s\n{journal}");
            }

            Thread.Sleep(500);
        }
    }

    public void Dispose() => ProcessRunner.Run("docker", ["rm", "-f", Name], timeout: TimeSpan.FromMinutes(1));
}
