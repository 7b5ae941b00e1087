using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace KcryptPush.Tests;

/// <summary>
/// A private PostgreSQL server per test class, from Debian's package (binaries in
/// <c>/usr/lib/postgresql/*/bin</c>; <c>KCRYPT_TEST_PG_BIN</c> names another folder): <c>initdb</c> into a
/// temporary directory, <c>pg_ctl start</c> on a free loopback port (trust authentication, unix socket in
/// that directory, fsync off: throwaway data), stopped by the PID in <c>postmaster.pid</c>. PostgreSQL
/// refuses to run as root, so under root (CI) the directory is given to <c>nobody</c> and every server
/// command runs through <c>runuser -u nobody</c>.
/// <para>Usage: the class takes it as a fixture and marks its tests <see cref="PostgresFactAttribute"/>, which
/// reports them skipped with the reason when no PostgreSQL binaries are installed (scripts/install-deps.sh
/// installs the package). Each test that wants an empty database calls <see cref="CreateDatabase"/>:</para>
/// <code>
/// public sealed class MyStoreTests(PrivatePostgres pg) : IClassFixture&lt;PrivatePostgres&gt;
/// {
///     [PostgresFact]
///     public void Works() { string cs = pg.CreateDatabase(); /* Host=127.0.0.1;Port=...;Username=postgres;Database=t1 */ }
/// }
/// </code>
/// </summary>
public sealed class PrivatePostgres : IAsyncLifetime
{
    private const string SuperUser = "postgres";
    private const string ServiceUser = "nobody";
    private int _databases;
    private string? _dir;

    /// <summary>Why no server can be started here (no binaries), or null when it can.</summary>
    public static string? Missing => BinDirectory is null
        ? "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql, or set KCRYPT_TEST_PG_BIN)"
        : null;

    /// <summary>The folder holding initdb, pg_ctl and postgres (the highest installed version), or null.</summary>
    public static string? BinDirectory { get; } = FindBinDirectory();

    public int Port { get; private set; }

    /// <summary>The server's data directory (holds postmaster.pid, the socket and postgres.log).</summary>
    public string DataDirectory => Path.Combine(_dir ?? throw NotStarted(), "data");

    /// <summary>A connection string to the <c>postgres</c> database as the superuser.</summary>
    public string ConnectionString => Connection("postgres");

    /// <summary>A connection string to <paramref name="database"/> as the superuser (Npgsql keyword form).</summary>
    public string Connection(string database) =>
        $"Host=127.0.0.1;Port={Port};Username={SuperUser};Database={database};Pooling=true";

    public async Task InitializeAsync()
    {
        if (Missing is not null)
        {
            return; // tests are skipped by PostgresFactAttribute; nothing to start
        }

        _dir = Directory.CreateTempSubdirectory("kcp-pg-").FullName;
        bool asRoot = Environment.UserName == "root" || geteuid() == 0;
        if (asRoot)
        {
            await Run("chown", [$"{ServiceUser}:", _dir], asServiceUser: false).ConfigureAwait(false);
        }

        await Pg("initdb", ["-D", DataDirectory, "-U", SuperUser, "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"]).ConfigureAwait(false);

        // A free port can be taken by someone else between the probe and the bind: try a few.
        Exception? last = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            Port = FreePort();
            try
            {
                await Pg("pg_ctl", ["start", "-w", "-t", "60", "-D", DataDirectory, "-l", Path.Combine(DataDirectory, "postgres.log"),
                    "-o", $"-p {Port} -k {DataDirectory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200"]).ConfigureAwait(false);
                return;
            }
            catch (InvalidOperationException e)
            {
                last = e;
            }
        }

        throw new InvalidOperationException($"PostgreSQL did not start: {last?.Message}\n{Log()}");
    }

    /// <summary>Creates an empty database with a fresh name and returns its connection string.</summary>
    public string CreateDatabase()
    {
        string name = $"t{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..20];
        Psql($"CREATE DATABASE {name}");
        return Connection(name);
    }

    /// <summary>Runs <paramref name="sql"/> through psql against <paramref name="database"/> and returns its output (unaligned, tuples only).</summary>
    public string Psql(string sql, string database = "postgres") =>
        Pg("psql", ["-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", SuperUser,
            "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql]).GetAwaiter().GetResult();

    public async Task DisposeAsync()
    {
        if (_dir is null)
        {
            return;
        }

        Stop();
        await Task.Yield();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A server that outlived its SIGKILL still holds files; the temp dir is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Stops the server by the PID in postmaster.pid: SIGINT (fast shutdown), SIGKILL after 30 s.</summary>
    public void Stop()
    {
        string pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out int pid))
        {
            return;
        }

        _ = kill(pid, 2);
        var clock = Stopwatch.StartNew();
        while (Directory.Exists($"/proc/{pid}") && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(100);
        }

        if (Directory.Exists($"/proc/{pid}"))
        {
            _ = kill(pid, 9);
        }
    }

    private string Log()
    {
        try
        {
            return File.ReadAllText(Path.Combine(DataDirectory, "postgres.log"));
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private Task<string> Pg(string tool, IReadOnlyList<string> args) =>
        Run(Path.Combine(BinDirectory!, tool), args, asServiceUser: geteuid() == 0);

    private async Task<string> Run(string file, IReadOnlyList<string> args, bool asServiceUser)
    {
        var psi = new ProcessStartInfo(asServiceUser ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The service user may not read the caller's working directory (e.g. /root).
            WorkingDirectory = _dir ?? Path.GetTempPath(),
        };
        if (asServiceUser)
        {
            foreach (string a in new[] { "-u", ServiceUser, "--", file })
            {
                psi.ArgumentList.Add(a);
            }
        }

        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["LC_ALL"] = "C";
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        // pg_ctl's server inherits no pipes of ours (-l sends its output to the log), so the reads end.
        await p.WaitForExitAsync().ConfigureAwait(false);
        string output = await stdout.ConfigureAwait(false);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({p.ExitCode}): {await stderr.ConfigureAwait(false)}{output}");
        }

        return output;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string? FindBinDirectory()
    {
        string? configured = Environment.GetEnvironmentVariable("KCRYPT_TEST_PG_BIN");
        IEnumerable<string> candidates = configured is { Length: > 0 }
            ? [configured]
            : Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql")
                    .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out int v) ? v : 0)
                    .Select(d => Path.Combine(d, "bin"))
                : [];
        return candidates.FirstOrDefault(d => new[] { "initdb", "pg_ctl", "postgres", "psql" }.All(t => File.Exists(Path.Combine(d, t))));
    }

    private static InvalidOperationException NotStarted() => new("PrivatePostgres is not started (" + (Missing ?? "InitializeAsync not run") + ")");

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [DllImport("libc")]
    private static extern uint geteuid();
}

/// <summary>A fact that needs a PostgreSQL server (<see cref="PrivatePostgres"/>): reported skipped with the reason when there is none.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PrivatePostgres.Missing is { } missing)
        {
            Skip = $"SKIPPED: {missing}";
        }
    }
}
