using System.Globalization;
using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Packaging;

/// <summary>The packaging tests share one build of the packages per test run.</summary>
[CollectionDefinition(Name)]
public sealed class PackagingCollection : ICollectionFixture<DebPackages>
{
    public const string Name = "Debian packages";
}

/// <summary>
/// The four packages, built once per test run by <c>scripts/package.sh</c> into a private
/// directory, on first use (a run whose packaging tests are all skipped builds nothing; the arm64
/// agent is built only for the test that runs it under qemu-user).
/// </summary>
public sealed class DebPackages : IDisposable
{
    /// <summary>The version the test packages carry.</summary>
    public const string Version = "0.0.1~test";

    // KCRYPT_TEST_DEBS=DIR: packages of version <see cref="Version"/> made already by
    // "KCRYPT_DIST=DIR scripts/package.sh 0.0.1~test" (used as they are, not deleted).
    private static readonly string? Prebuilt = Environment.GetEnvironmentVariable("KCRYPT_TEST_DEBS") is { Length: > 0 } d ? d : null;

    private readonly string _dir = Prebuilt ?? System.IO.Directory.CreateTempSubdirectory("kcrypt-push-debs-").FullName;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _amd64Built;
    private bool _arm64Built;

    /// <summary>Where the packages are (after <see cref="EnsureBuiltAsync"/>).</summary>
    public string Directory => _dir;

    public string Agent => Deb("agent", "amd64");

    public string AgentArm64 => Deb("agent", "arm64");

    public string Registrar => Deb("registrar", "amd64");

    public string Verifier => Deb("verifier", "amd64");

    /// <summary>The three amd64 packages.</summary>
    public IReadOnlyList<string> Amd64 => [Agent, Registrar, Verifier];

    /// <summary>Builds the three amd64 packages unless done already (one publish each, ~2-3 minutes on 2 idle cores).</summary>
    public Task EnsureBuiltAsync() => BuildOnceAsync(() => _amd64Built, () => _amd64Built = true, "agent:amd64 registrar:amd64 verifier:amd64", Amd64);

    /// <summary>
    /// Builds the arm64 agent package unless done already: a publish of its own, made only when a
    /// test that runs it (under qemu-user) is not skipped.
    /// </summary>
    public Task EnsureArm64BuiltAsync() => BuildOnceAsync(() => _arm64Built, () => _arm64Built = true, "agent:arm64", [AgentArm64]);

    private async Task BuildOnceAsync(Func<bool> built, Action markBuilt, string packages, IReadOnlyList<string> debs)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (built())
            {
                return;
            }

            if (Prebuilt is null)
            {
                ProcessResult r = await Task.Run(() => ProcessRunner.Run(
                    Path.Combine(RepoPaths.Root, "scripts", "package.sh"), [Version],
                    environment: new Dictionary<string, string> { ["KCRYPT_DIST"] = _dir, ["KCRYPT_PACKAGES"] = packages },
                    timeout: TimeSpan.FromMinutes(30))).ConfigureAwait(false);
                if (r.ExitCode != 0)
                {
                    throw new InvalidOperationException($"scripts/package.sh ({packages}) exited {r.ExitCode}\n{r.StdErr}\n{r.StdOut}");
                }
            }

            foreach (string deb in debs)
            {
                Assert.True(File.Exists(deb), Prebuilt is null
                    ? $"scripts/package.sh did not make {deb}"
                    : $"KCRYPT_TEST_DEBS={Prebuilt} holds no {Path.GetFileName(deb)} (make it with KCRYPT_DIST={Prebuilt} scripts/package.sh {Version})");
            }

            markBuilt();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Unpacks <paramref name="deb"/> (<c>dpkg-deb -x</c>) into a new temporary directory.</summary>
    public static string Extract(string deb)
    {
        string to = System.IO.Directory.CreateTempSubdirectory("kcrypt-push-deb-x-").FullName;
        ProcessRunner.RunChecked("dpkg-deb", ["-x", deb, to]);
        return to;
    }

    /// <summary>A control field of <paramref name="deb"/>.</summary>
    public static string Field(string deb, string field) =>
        ProcessRunner.RunChecked("dpkg-deb", ["-f", deb, field]).StdOut.Trim();

    public void Dispose()
    {
        _gate.Dispose();
        if (Prebuilt is not null)
        {
            return;
        }

        try
        {
            System.IO.Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string Deb(string role, string arch) =>
        Path.Combine(_dir, string.Create(CultureInfo.InvariantCulture, $"kcrypt-push-{role}_{Version}_{arch}.deb"));
}
