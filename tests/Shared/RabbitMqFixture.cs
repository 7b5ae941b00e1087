using System.Diagnostics;

namespace KcryptPush.Tests;

/// <summary>
/// A private RabbitMQ node per test class, started with <c>scripts/rabbitmq.sh start DIR</c> (which
/// prints the amqp:// URI once the broker is ready) and stopped by its PID file. Restarting it in
/// the same directory keeps its port and its durable queues and persistent messages.
/// Where a Docker engine answers with the broker image at hand (<see cref="BrokerContainer.Enabled"/>),
/// the broker is a container instead (Testcontainers), with the same port-keeping restart, users
/// and rabbitmqctl; <see cref="Container"/> then also pauses it.
/// </summary>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    private readonly string _dir = System.IO.Directory.CreateTempSubdirectory("kcp-rabbit-").FullName;

    public string Uri { get; private set; } = string.Empty;

    public string Directory => _dir;

    /// <summary>The broker's container, or null for a process broker (<see cref="BrokerContainer.Why"/>).</summary>
    public BrokerContainer? Container { get; private set; }

    public Task InitializeAsync() => StartAsync();

    /// <summary>Starts (again) in the same directory: same port, same durable queues.</summary>
    public async Task StartAsync()
    {
        if (BrokerContainer.Enabled)
        {
            await StartContainerAsync().ConfigureAwait(false);
            return;
        }

        (int code, string stdout, string stderr) = await Script("start", _dir).ConfigureAwait(false);
        if (code != 0 && Uri.Length == 0)
        {
            // A first start that did not come up (seen once in CI: a node never ready within 90 s while
            // other brokers booted beside it) is tried once more on another free port; a restart keeps
            // its port, since tests restart to show durable state.
            File.Delete(Path.Combine(_dir, "amqp.port"));
            (code, stdout, string again) = await Script("start", _dir).ConfigureAwait(false);
            stderr = $"{stderr}\n(second attempt) {again}";
        }

        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/rabbitmq.sh start failed ({code}): {stderr}");
        }

        Uri = stdout.Trim().Split('\n')[^1].Trim();
    }

    /// <summary>Stops the broker (SIGTERM by PID file), keeping its state for a restart.</summary>
    public Task StopAsync() => Container is not null ? Container.StopAsync() : Script("stop", _dir);

    public async Task DisposeAsync()
    {
        if (Container is not null)
        {
            await Container.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            await Script("stop", _dir).ConfigureAwait(false);
        }

        try
        {
            System.IO.Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // The broker may still be flushing its files; the temp dir is harmless.
        }
    }

    /// <summary>
    /// Creates one user per role with least privilege (<c>scripts/rabbitmq.sh users</c>) and returns
    /// role → amqp URI (registrar, verifier, agent, operator). It also deletes guest and makes an admin
    /// of its own: <see cref="Uri"/> becomes that admin's URI (DIR/admin.uri), also after a restart.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> CreateRoleUsersAsync()
    {
        (int code, string stdout, string stderr) = Container is not null
            ? await ContainerUsersAsync(Container).ConfigureAwait(false)
            : await Script("users", _dir).ConfigureAwait(false);
        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/rabbitmq.sh users failed ({code}): {stderr}");
        }

        var roles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] f = line.Split(' ', 2);
            if (f.Length == 2)
            {
                roles[f[0]] = f[1];
            }
        }

        if (!roles.Remove("admin", out string? admin))
        {
            throw new InvalidOperationException($"scripts/rabbitmq.sh users printed no admin URI: {stdout}");
        }

        Uri = admin;

        return roles;
    }

    /// <summary>rabbitmqctl against this node.</summary>
    public Task<(int Code, string Stdout, string Stderr)> Ctl(params string[] args) =>
        Container is not null ? Container.ExecAsync(["rabbitmqctl", .. args]) : Script(["ctl", _dir, .. args]);

    /// <summary>Message and consumer counts of every queue (<c>rabbitmqctl list_queues</c>).</summary>
    public async Task<IReadOnlyDictionary<string, (int Messages, int Consumers)>> QueuesAsync()
    {
        (int code, string stdout, string stderr) = await Ctl("list_queues", "-q", "--no-table-headers", "name", "messages", "consumers").ConfigureAwait(false);
        if (code != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl list_queues failed ({code}): {stderr}");
        }

        var queues = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 3 && int.TryParse(f[1], out int messages) && int.TryParse(f[2], out int consumers))
            {
                queues[f[0]] = (messages, consumers);
            }
        }

        return queues;
    }

    /// <summary>Waits until each queue exists with at least one consumer (a service is bound and listening).</summary>
    public async Task WaitForConsumersAsync(TimeSpan timeout, params string[] queues)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            IReadOnlyDictionary<string, (int Messages, int Consumers)> q = await QueuesAsync().ConfigureAwait(false);
            if (queues.All(name => q.TryGetValue(name, out var s) && s.Consumers > 0))
            {
                return;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"queues {string.Join(", ", queues)} have no consumer after {timeout}: {string.Join("; ", q.Select(kv => $"{kv.Key}={kv.Value}"))}");
            }

            await Task.Delay(300).ConfigureAwait(false);
        }
    }

    private static Task<(int Code, string Stdout, string Stderr)> Script(params string[] args) => RunScriptAsync(null, args);

    private async Task StartContainerAsync()
    {
        if (Container is not null)
        {
            await Container.StartAsync().ConfigureAwait(false);
            return;
        }

        // What scripts/rabbitmq.sh start configures beyond the defaults.
        string maxMessageSize = Environment.GetEnvironmentVariable("KCRYPT_RMQ_MAX_MESSAGE_SIZE") is { Length: > 0 } size ? size : "4194304";
        Container = await BrokerContainer.StartNewAsync($"loopback_users = none\nmax_message_size = {maxMessageSize}\n").ConfigureAwait(false);
        Uri = Container.AdminUri;
        File.WriteAllText(Path.Combine(_dir, "amqp.port"), Container.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// <c>users</c> for a container broker: the same users and permissions (scripts/rabbitmq.sh
    /// definitions, URIs in this directory), imported with rabbitmqctl in the container; guest is deleted as <c>users</c> does. Prints as <c>users</c> does.
    /// </summary>
    private async Task<(int Code, string Stdout, string Stderr)> ContainerUsersAsync(BrokerContainer container)
    {
        (int code, string stdout, string stderr) = await Script("definitions", _dir, $"127.0.0.1:{container.Port}").ConfigureAwait(false);
        if (code != 0)
        {
            return (code, stdout, stderr);
        }

        const string inContainer = "/tmp/kcrypt-push-definitions.json";
        await container.CopyAsync(Path.Combine(_dir, "definitions.json"), inContainer).ConfigureAwait(false);
        File.Delete(Path.Combine(_dir, "definitions.json"));
        foreach (string[] command in new[]
        {
            // The copy stays (root's file in /tmp, which the broker's user cannot delete): it holds
            // salted hashes, in a throwaway container.
            new[] { "rabbitmqctl", "import_definitions", inContainer, "-q" },
            ["rabbitmqctl", "delete_user", "guest", "-q"],
        })
        {
            (code, stdout, stderr) = await container.ExecAsync(command).ConfigureAwait(false);
            // 67 (no such user): guest is gone already, which is what is asked for.
            if (code != 0 && !(command[1] == "delete_user" && code == 67))
            {
                return (code, stdout, $"{string.Join(' ', command)}: {stderr}");
            }
        }

        File.Copy(Path.Combine(_dir, "admin.uri"), Path.Combine(_dir, "amqp.uri"), overwrite: true);
        var lines = new System.Text.StringBuilder();
        foreach (string role in new[] { "registrar", "verifier", "agent", "operator" })
        {
            lines.Append(role).Append(' ').AppendLine(File.ReadAllText(Path.Combine(_dir, "users", role + ".uri")).Trim());
        }

        lines.Append("admin ").AppendLine(File.ReadAllText(Path.Combine(_dir, "admin.uri")).Trim());
        return (0, lines.ToString(), string.Empty);
    }

    /// <summary>Runs <c>scripts/rabbitmq.sh</c> with <paramref name="args"/>, adding <paramref name="environment"/> to its environment.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunScriptAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "scripts", "rabbitmq.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            psi.Environment[name] = value;
        }

        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().ConfigureAwait(false);
        return (p.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}
