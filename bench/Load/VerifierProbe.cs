using System.Diagnostics;
using System.Globalization;

namespace KcryptPush.Bench.Load;

/// <summary>
/// The verifier process as Linux accounts for it (<c>--verifier-pid</c>): CPU time = utime + stime
/// (fields 14 and 15 of <c>/proc/PID/stat</c>, in clock ticks of <c>getconf CLK_TCK</c>) and the
/// resident set (<c>VmRSS</c> of <c>/proc/PID/status</c>). Give the PID of the verifier itself (the
/// built <c>kcrypt-push-verifier</c>), not of a <c>dotnet run</c> that started it.
/// </summary>
internal sealed class VerifierProbe
{
    private VerifierProbe(int pid, long ticksPerSecond)
    {
        Pid = pid;
        TicksPerSecond = ticksPerSecond;
    }

    public int Pid { get; }

    public long TicksPerSecond { get; }

    /// <summary>A probe of <paramref name="pid"/>; null and the reason when it cannot be read.</summary>
    public static VerifierProbe? Open(int pid, out string? problem)
    {
        var probe = new VerifierProbe(pid, ClockTicks());
        if (probe.TryRead(out _) is null)
        {
            problem = $"cannot read /proc/{pid}/stat and /proc/{pid}/status: is the verifier running with that PID?";
            return null;
        }

        problem = null;
        return probe;
    }

    /// <summary>The process's command name (<c>/proc/PID/comm</c>), for the report.</summary>
    public string Command => TryReadText($"/proc/{Pid}/comm")?.Trim() ?? "?";

    /// <summary>CPU ticks (user + system) so far and the resident set in bytes; null once the process is gone.</summary>
    public (long CpuTicks, long RssBytes)? TryRead(out string? error)
    {
        error = null;
        string? stat = TryReadText($"/proc/{Pid}/stat");
        string? status = TryReadText($"/proc/{Pid}/status");
        if (stat is null || status is null)
        {
            error = "gone";
            return null;
        }

        // comm (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
        string[] after = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long utime = long.Parse(after[14 - 3], CultureInfo.InvariantCulture);
        long stime = long.Parse(after[15 - 3], CultureInfo.InvariantCulture);
        long rssKb = 0;
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rssKb = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                break;
            }
        }

        return (utime + stime, rssKb * 1024);
    }

    public double Seconds(long ticks) => (double)ticks / TicksPerSecond;

    private static string? TryReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    // getconf CLK_TCK (sysconf(_SC_CLK_TCK)); 100 on every Linux architecture .NET runs on, if getconf is missing.
    private static long ClockTicks()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false });
            if (p is not null)
            {
                string text = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                if (long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long ticks) && ticks > 0)
                {
                    return ticks;
                }
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // no getconf
        }

        return 100;
    }
}
