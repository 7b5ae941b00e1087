using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DotNet.Testcontainers.Containers;
using Testcontainers.RabbitMq;

namespace KcryptPush.Tests;

/// <summary>
/// The container side of <see cref="RabbitMqFixture"/>: a RabbitMQ container (Testcontainers.RabbitMq)
/// from <see cref="Image"/>, its AMQP port published on a fixed free loopback port so that a
/// restart (<see cref="StopAsync"/>, <see cref="StartAsync"/>) keeps the port, the durable queues
/// and the persistent messages as the process broker does. What a process broker cannot do:
/// <see cref="PauseAsync"/> freezes the whole broker (<c>docker pause</c>: connections stay open and
/// nothing answers), as a broker host that stalls does.
/// </summary>
public sealed class BrokerContainer : IAsyncDisposable
{
    /// <summary>Configuration of the choice: <c>process</c>, <c>container</c> or <c>auto</c> (the default).</summary>
    public const string ModeVariable = "KCRYPT_TEST_BROKER";

    /// <summary>Configuration of the image; <see cref="DefaultImage"/> when unset.</summary>
    public const string ImageVariable = "KCRYPT_TEST_RABBITMQ_IMAGE";

    /// <summary>The official image a user would pull; on machines without a registry, scripts/compose-images.sh makes a stand-in.</summary>
    public const string DefaultImage = "rabbitmq:3-management";

    /// <summary>Marks every container made here, so that scripts/test.sh can remove what a crashed run left (no reaper: see below).</summary>
    public const string Label = "kcrypt-push-test";

    private readonly RabbitMqContainer _container;

    static BrokerContainer()
    {
        // SETUP.md: Testcontainers 4.17 speaks Docker API 1.44 and Debian's dockerd 1.41; the reaper
        // (Ryuk) is an image no registry here serves. Containers are removed by DisposeAsync instead.
        if (Environment.GetEnvironmentVariable("DOCKER_API_VERSION") is null)
        {
            Environment.SetEnvironmentVariable("DOCKER_API_VERSION", "1.41");
        }

        if (Environment.GetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED") is null)
        {
            Environment.SetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED", "true");
        }
    }

    private BrokerContainer(int port, string config)
    {
        Port = port;
        _container = new RabbitMqBuilder(Image)
            .WithPortBinding(port, RabbitMqBuilder.RabbitMqPort)
            // guest as on a new process broker (users deletes it); loopback_users below lets it in
            // from outside the container, as 127.0.0.1 is for the process broker.
            .WithUsername("guest")
            .WithPassword("guest")
            .WithLabel(Label, "true")
            // As scripts/rabbitmq.sh configures its broker (max_message_size, logs to stdout where
            // Testcontainers waits for "Server startup complete").
            .WithEnvironment("RABBITMQ_LOGS", "-")
            .WithResourceMapping(Encoding.UTF8.GetBytes(config), DotNet.Testcontainers.Builders.FilePath.Of("/etc/rabbitmq/conf.d/90-kcrypt-push-test.conf"))
            .Build();
    }

    /// <summary>The image: <see cref="ImageVariable"/>, else <see cref="DefaultImage"/>.</summary>
    public static string Image { get; } = Environment.GetEnvironmentVariable(ImageVariable) is { Length: > 0 } image ? image : DefaultImage;

    /// <summary>
    /// Whether fixtures use a container: <see cref="ModeVariable"/>=container always (failing when no
    /// engine answers), =process never; otherwise when a Docker engine answers and has
    /// <see cref="Image"/> (a missing image is pulled only when asked for with =container, since no
    /// registry may be reachable). Decided once per test run; the reason is in <see cref="Why"/>.
    /// </summary>
    public static bool Enabled => Choice.Value.Use;

    /// <summary>Why <see cref="Enabled"/> is what it is, for skip and failure messages.</summary>
    public static string Why => Choice.Value.Why;

    private static readonly Lazy<(bool Use, string Why)> Choice = new(() =>
    {
        string mode = Environment.GetEnvironmentVariable(ModeVariable) is { Length: > 0 } m ? m.Trim().ToLowerInvariant() : "auto";
        if (mode == "process")
        {
            return (false, $"{ModeVariable}=process");
        }

        if (mode == "container")
        {
            return (true, $"{ModeVariable}=container");
        }

        (int code, _, string err) = Docker("version", "--format", "{{.Server.Version}}");
        if (code != 0)
        {
            return (false, $"no Docker engine answers ({err.Trim().ReplaceLineEndings(" ")})");
        }

        return Docker("image", "inspect", "--format", "{{.Id}}", Image).Code == 0
            ? (true, $"a Docker engine answers and has {Image}")
            : (false, $"the Docker engine has no image {Image} ({ImageVariable}; scripts/compose-images.sh makes a local one, {ModeVariable}=container pulls it)");
    });

    /// <summary>The published AMQP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>guest/guest (RABBITMQ_DEFAULT_USER), as a new process broker has it.</summary>
    public string AdminUri => $"amqp://guest:guest@127.0.0.1:{Port}/";

    /// <summary>Creates and starts a broker container with <paramref name="config"/> added to its configuration.</summary>
    public static async Task<BrokerContainer> StartNewAsync(string config)
    {
        var broker = new BrokerContainer(FreePort(), config);
        try
        {
            await broker.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await broker.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return broker;
    }

    /// <summary>Starts (again): same port, same durable queues.</summary>
    public Task StartAsync() => _container.StartAsync();

    /// <summary>Stops the broker's container, keeping its state for a restart.</summary>
    public Task StopAsync() => _container.StopAsync();

    /// <summary><c>docker pause</c>: every process of the broker frozen, its TCP connections left open.</summary>
    public Task PauseAsync() => _container.PauseAsync();

    /// <summary><c>docker unpause</c>.</summary>
    public Task UnpauseAsync() => _container.UnpauseAsync();

    /// <summary>The container's name (for <c>docker</c> commands in failure messages).</summary>
    public string Name => _container.Name;

    /// <summary>Runs a command inside the container (rabbitmqctl).</summary>
    public async Task<(int Code, string Stdout, string Stderr)> ExecAsync(params string[] command)
    {
        ExecResult r = await _container.ExecAsync(command).ConfigureAwait(false);
        return ((int)(r.ExitCode ?? -1), r.Stdout, r.Stderr);
    }

    /// <summary>Copies a file into the container, readable by the broker.</summary>
    public Task CopyAsync(string hostFile, string containerPath) =>
        _container.CopyAsync(File.ReadAllBytes(hostFile), containerPath, fileMode: DotNet.Testcontainers.Configurations.UnixFileModes.UserRead
            | DotNet.Testcontainers.Configurations.UnixFileModes.GroupRead | DotNet.Testcontainers.Configurations.UnixFileModes.OtherRead);

    /// <summary>The container's log (broker output), for failure messages.</summary>
    public async Task<string> LogsAsync()
    {
        (string stdout, string stderr) = await _container.GetLogsAsync().ConfigureAwait(false);
        return stdout + stderr;
    }

    public ValueTask DisposeAsync() => _container.DisposeAsync();

    /// <summary>
    /// A port in 10000-14999 (scripts/rabbitmq.sh's AMQP range, below the ephemeral range) that
    /// nothing listens on now; the engine's proxy holds it from the start on.
    /// </summary>
    private static int FreePort()
    {
        for (int i = 0; i < 200; i++)
        {
            int port = Random.Shared.Next(10000, 15000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException("no free port in 10000-14999 for the broker container");
    }

    private static (int Code, string Stdout, string Stderr) Docker(params string[] args)
    {
        var psi = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        try
        {
            using Process p = Process.Start(psi)!;
            Task<string> stdout = p.StandardOutput.ReadToEndAsync();
            Task<string> stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(20_000))
            {
                p.Kill(entireProcessTree: true);
                return (-1, "", "docker did not answer in 20 s");
            }

            return (p.ExitCode, stdout.Result, stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", $"no docker command: {e.Message}");
        }
    }
}
