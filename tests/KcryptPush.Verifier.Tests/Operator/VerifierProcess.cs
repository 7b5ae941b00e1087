using System.Diagnostics;
using System.Text;

namespace KcryptPush.Verifier.Tests.Operator;

/// <summary>The real kcrypt-push-verifier executable (the dll this test project builds, run with dotnet).</summary>
internal sealed class VerifierProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private bool _disposed;

    private VerifierProcess(Process process)
    {
        _process = process;
    }

    /// <summary>verifier/bin/CONFIG/net10.0/kcrypt-push-verifier.dll, CONFIG being this test assembly's.</summary>
    public static string Dll { get; } = Path.Combine(RepoPaths.Root, "verifier", "bin", ConfigurationOf(AppContext.BaseDirectory), "net10.0", "kcrypt-push-verifier.dll");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>kcrypt-push-verifier run</c>.</summary>
    public static VerifierProcess Run(params string[] args)
    {
        var psi = Start(["run", .. args]);
        var p = new VerifierProcess(Process.Start(psi)!);
        p._process.OutputDataReceived += (_, e) => p.Append(e.Data);
        p._process.ErrorDataReceived += (_, e) => p.Append(e.Data);
        p._process.BeginOutputReadLine();
        p._process.BeginErrorReadLine();
        return p;
    }

    /// <summary>Runs a command to the end, with <paramref name="stdin"/> written to its standard input.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> Command(string? stdin, params string[] args)
    {
        ProcessStartInfo psi = Start(args);
        psi.RedirectStandardInput = true;
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
        }

        p.StandardInput.Close();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(limit.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static ProcessStartInfo Start(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        // Only what the command line gives counts: no broker or database from the test runner's environment.
        psi.Environment.Remove("KCRYPTPUSH_BROKER");
        psi.Environment.Remove("KCRYPTPUSH_DB");
        psi.Environment["USER"] = "test-runner";
        return psi;
    }

    private static string ConfigurationOf(string baseDirectory)
    {
        string[] parts = baseDirectory.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        int bin = Array.LastIndexOf(parts, "bin");
        return bin >= 0 && bin + 1 < parts.Length ? parts[bin + 1] : "Debug";
    }
}
