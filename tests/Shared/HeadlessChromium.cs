using System.Diagnostics;

namespace KcryptPush.Tests;

/// <summary>
/// Debian's <c>chromium</c> in headless mode (<c>KCRYPT_TEST_CHROMIUM</c> names another binary), for the
/// status page tests: <see cref="DumpDomAsync"/> prints the DOM after the page's script ran (virtual time
/// runs the page's timers; it waits while fetches are pending), <see cref="ScreenshotAsync"/> saves a PNG.
/// Every run has its own profile directory (deleted afterwards), no sandbox (tests run as root in CI),
/// no background networking (nothing but the page's own address is contacted), and is killed by its PID
/// with its children when it overruns. Tests that need it use <see cref="ChromiumFactAttribute"/>.
/// </summary>
public static class HeadlessChromium
{
    /// <summary>The browser binary, or null when none is installed.</summary>
    public static string? Binary { get; } = Find();

    /// <summary>Why no browser test can run here, or null when one can.</summary>
    public static string? Missing => Binary is null
        ? "no chromium (apt-get install chromium; scripts/install-deps.sh installs it), or set KCRYPT_TEST_CHROMIUM"
        : null;

    /// <summary>The serialised DOM of <paramref name="url"/> after <paramref name="virtualTime"/> of the page's own time.</summary>
    public static async Task<string> DumpDomAsync(string url, TimeSpan virtualTime)
    {
        (int exit, string stdout, string stderr) = await RunAsync(["--dump-dom", url], virtualTime);
        if (exit != 0 || stdout.Length == 0)
        {
            throw new InvalidOperationException($"chromium --dump-dom {url} exited {exit} with no DOM:\n{Tail(stderr)}");
        }

        return stdout;
    }

    /// <summary>Dumps the DOM of <paramref name="url"/> until <paramref name="done"/> holds for it; returns that DOM.</summary>
    public static async Task<string> WaitForDomAsync(string url, Func<string, bool> done, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        ArgumentNullException.ThrowIfNull(done);
        var clock = Stopwatch.StartNew();
        string dom = "";
        while (clock.Elapsed < timeout)
        {
            dom = await DumpDomAsync(url, TimeSpan.FromSeconds(4));
            if (done(dom))
            {
                return dom;
            }

            await Task.Delay(1000);
        }

        throw new TimeoutException($"the page at {url} did not show what was awaited within {timeout}; last DOM:\n{dom}\n{diagnostics?.Invoke()}");
    }

    /// <summary>Saves a <paramref name="width"/>×<paramref name="height"/> screenshot of <paramref name="url"/> as PNG to <paramref name="file"/>.</summary>
    public static async Task ScreenshotAsync(string url, string file, int width = 1280, int height = 800)
    {
        (int exit, _, string stderr) = await RunAsync(
            [$"--screenshot={Path.GetFullPath(file)}", $"--window-size={width},{height}", "--hide-scrollbars", url], TimeSpan.FromSeconds(4));
        if (exit != 0 || !File.Exists(file))
        {
            throw new InvalidOperationException($"chromium --screenshot {url} exited {exit} without {file}:\n{Tail(stderr)}");
        }
    }

    private static async Task<(int Exit, string StdOut, string StdErr)> RunAsync(string[] args, TimeSpan virtualTime)
    {
        string profile = Directory.CreateTempSubdirectory("kcp-chromium-").FullName;
        var info = new ProcessStartInfo(Binary ?? throw new InvalidOperationException(Missing))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu",
            "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions", "--disable-sync", "--mute-audio",
            $"--user-data-dir={profile}", $"--virtual-time-budget={(int)virtualTime.TotalMilliseconds}", .. args])
        {
            info.ArgumentList.Add(a);
        }

        // No display, no session bus: headless needs neither.
        info.Environment.Remove("DISPLAY");
        info.Environment["HOME"] = profile;
        try
        {
            using Process p = Process.Start(info) ?? throw new InvalidOperationException("could not start chromium");
            Task<string> stdout = p.StandardOutput.ReadToEndAsync();
            Task<string> stderr = p.StandardError.ReadToEndAsync();

            // Generous: two cores shared with brokers, swtpms and other test classes.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await p.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"chromium {string.Join(' ', args)} did not finish in 90 s:\n{Tail(await stderr)}");
            }

            return (p.ExitCode, await stdout, await stderr);
        }
        finally
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("KCRYPT_TEST_CHROMIUM") is { Length: > 0 } set)
        {
            return File.Exists(set) ? set : null;
        }

        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string name in (string[])["chromium", "chromium-browser"])
            {
                string candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}

/// <summary>A fact that needs a headless browser (<see cref="HeadlessChromium"/>): reported skipped with the reason when there is none.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HeadlessChromium.Missing is { } missing)
        {
            Skip = $"SKIPPED: {missing}";
        }
    }
}
