using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace KcryptPush.Integration.Tests.Fixtures;

/// <summary>
/// Plays systemd's side of sd_notify(3) for one service: a Unix datagram socket to pass as
/// NOTIFY_SOCKET, collecting READY=1, STATUS=..., WATCHDOG=1 with their arrival times.
/// </summary>
/// <remarks>
/// .NET's UseSystemd() only activates when the parent process is called "systemd"
/// (/proc/PPID/comm), so <see cref="ShellNamedSystemd"/> is a copy of bash by that name: the
/// service runs as its child, exactly as under systemd, and talks to this socket.
/// </remarks>
public sealed class SystemdNotifyListener : IDisposable
{
    private static readonly Lazy<string> Shell = new(() =>
    {
        string dir = Directory.CreateTempSubdirectory("kcp-it-fake-systemd-").FullName;
        string path = Path.Combine(dir, "systemd");
        File.Copy("/bin/bash", path);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }
        return path;
    });

    private readonly Socket _socket;
    private readonly List<(TimeSpan At, string Line)> _messages = [];
    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _receiving;
    private readonly string _directory;

    public SystemdNotifyListener()
    {
        _directory = Directory.CreateTempSubdirectory("kcp-it-notify-").FullName;
        SocketPath = Path.Combine(_directory, "notify.sock");
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _socket.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _receiving = Task.Run(ReceiveLoop);
    }

    /// <summary>A bash executable named "systemd", to be the service's parent process.</summary>
    public static string ShellNamedSystemd => Shell.Value;

    public string SocketPath { get; }

    /// <summary>Every line received so far, in order.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return _messages.Select(m => m.Line).ToList();
            }
        }
    }

    /// <summary>Arguments that run <paramref name="command"/> as a child of <see cref="ShellNamedSystemd"/> (no exec, so it stays the parent).</summary>
    public static IEnumerable<string> ShellArguments(params string[] command) => ["-c", "\"$@\"; exit $?", "systemd", .. command];

    /// <summary>Waits for a line equal to <paramref name="line"/>; returns how many such lines arrived by then.</summary>
    public async Task WaitForAsync(string line, TimeSpan timeout, int count = 1)
    {
        var clock = Stopwatch.StartNew();
        while (Lines.Count(l => l == line) < count)
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"no '{line}' (x{count}) on NOTIFY_SOCKET within {timeout}; got: {string.Join(" | ", Lines)}");
            }

            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        try
        {
            _receiving.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task ReceiveLoop()
    {
        byte[] buffer = new byte[4096];
        while (true)
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(buffer, SocketFlags.None);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            // A datagram may carry several newline-separated assignments (sd_notify(3)).
            foreach (string line in Encoding.UTF8.GetString(buffer, 0, n).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                lock (_gate)
                {
                    _messages.Add((_clock.Elapsed, line));
                }
            }
        }
    }
}
