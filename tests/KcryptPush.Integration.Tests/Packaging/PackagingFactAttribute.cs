using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Packaging;

/// <summary>
/// A fact that needs tools beyond the .NET SDK: <see cref="PackagingRequirements.DockerEngine"/> (a
/// Docker engine that answers, and a way to get a Debian bookworm base image: the image
/// <see cref="TestImages.BaseImage"/> or debootstrap) or executables on PATH. When one is missing
/// the test is reported skipped with the reason (xunit 2 has no run-time skip: the check runs when
/// the test is discovered, which is after the test command started the engine), never passed.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PackagingFactAttribute : FactAttribute
{
    public PackagingFactAttribute(params string[] requirements)
    {
        string? missing = PackagingRequirements.Missing(requirements);
        if (missing is not null)
        {
            Skip = $"SKIPPED: {missing}";
        }
    }
}

/// <summary>What the packaging tests need, checked once per test run.</summary>
public static class PackagingRequirements
{
    /// <summary>A Docker engine answering <c>docker version</c>, and a Debian bookworm base image or debootstrap.</summary>
    public const string DockerEngine = "docker-engine";

    /// <summary>An arm64 C and C++ runtime for qemu-user: Debian's *-arm64-cross packages or a multiarch arm64 libc.</summary>
    public const string Arm64Sysroot = "arm64-sysroot";

    /// <summary>Where the arm64 libraries are (qemu's -L), or null.</summary>
    public static string? Arm64SysrootPath() =>
        new[] { "/usr/aarch64-linux-gnu", "/" }.FirstOrDefault(d =>
            File.Exists(Path.Combine(d, "lib", "ld-linux-aarch64.so.1"))
            && (File.Exists(Path.Combine(d, "lib", "libstdc++.so.6")) || File.Exists(Path.Combine(d, "lib", "aarch64-linux-gnu", "libstdc++.so.6"))));

    private static readonly Lazy<string?> DockerProblem = new(() =>
    {
        if (Which("docker") is null)
        {
            return "no docker command on PATH (apt-get install docker.io, then start dockerd)";
        }

        try
        {
            ProcessResult v = ProcessRunner.Run("docker", ["version", "--format", "{{.Server.Version}}"], timeout: TimeSpan.FromSeconds(20));
            if (v.ExitCode != 0)
            {
                return $"no Docker engine answers (docker version: {v.StdErr.Trim().ReplaceLineEndings(" ")})";
            }
        }
        catch (TimeoutException)
        {
            return "no Docker engine answers (docker version did not finish in 20 s)";
        }

        if (!TestImages.BaseImageExists() && Which("debootstrap") is null)
        {
            return $"no image {TestImages.BaseImage} and no debootstrap to make one (apt-get install debootstrap)";
        }

        return null;
    });

    /// <summary>Why the requirements are not met, or null.</summary>
    public static string? Missing(IEnumerable<string> requirements)
    {
        var problems = new List<string>();
        if (!OperatingSystem.IsLinux())
        {
            return "the packages are Linux packages";
        }

        foreach (string r in new[] { "dpkg-deb" }.Concat(requirements).Distinct())
        {
            string? problem = r switch
            {
                DockerEngine => DockerProblem.Value,
                Arm64Sysroot => Arm64SysrootPath() is null
                    ? "no arm64 C/C++ runtime for qemu-user (apt-get install libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross)"
                    : null,
                _ => Which(r) is null ? $"{r} is not on PATH ({Hint(r)})" : null,
            };
            if (problem is not null)
            {
                problems.Add(problem);
            }
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>The full path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static string Hint(string tool) => tool switch
    {
        "dpkg-deb" => "apt-get install dpkg-dev",
        "qemu-aarch64-static" => "apt-get install qemu-user-static",
        "debootstrap" => "apt-get install debootstrap",
        _ => $"install {tool}",
    };
}
