using System.Diagnostics;
using System.Text;

namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>
/// A long-running process (one of our services) with its output collected; stopped with SIGTERM
/// like systemd stops it, killed if it does not exit in time.
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();

    private ServiceProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything printed so far (stdout and stderr interleaved by line).</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    public static ServiceProcess Start(string name, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        foreach ((string key, string? value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var service = new ServiceProcess(process, name);
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>Waits until <paramref name="text"/> appears in the output.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (clock.Elapsed > timeout || HasExited)
            {
                throw new TimeoutException($"{Name} did not print '{text}' within {timeout} (exited: {HasExited}):\n{Output}");
            }

            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the process to exit on its own; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout}:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>SIGTERM to <paramref name="pid"/> (default: this process), then waits; kills the tree after <paramref name="timeout"/>.</summary>
    public int Terminate(TimeSpan? timeout = null, int? pid = null)
    {
        if (!HasExited)
        {
            ProcessRunner.Run("kill", ["-TERM", (pid ?? Pid).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (!_process.WaitForExit(timeout ?? TimeSpan.FromSeconds(20)))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.AppendLine(line);
        }
    }
}
