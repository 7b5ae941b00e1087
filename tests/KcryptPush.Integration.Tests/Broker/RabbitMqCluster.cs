using KcryptPush.Tests;

namespace KcryptPush.Integration.Tests.Broker;

/// <summary>
/// A RabbitMQ cluster of one test class's own: <c>scripts/rabbitmq.sh cluster start DIR 3</c> (three
/// Erlang nodes from Debian's rabbitmq-server on free loopback ports, one cookie, n2 and n3 joined to
/// n1), role users as for one node, nodes killed and started by PID, everything stopped by PID at the end.
/// </summary>
public sealed class RabbitMqCluster : IAsyncLifetime
{
    public const string ServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    private readonly string _dir = System.IO.Directory.CreateTempSubdirectory("kcp-rabbit-cluster-").FullName;

    /// <summary>Why the machine cannot run a cluster (no rabbitmq-server), or null.</summary>
    public static string? Missing => File.Exists(ServerScript) ? null : $"no {ServerScript} (Debian's rabbitmq-server; scripts/install-deps.sh installs it)";

    public string Directory => _dir;

    /// <summary>Each node's 127.0.0.1:PORT, n1 first.</summary>
    public IReadOnlyList<string> Nodes { get; private set; } = [];

    /// <summary>The admin's URI, on n1 (after <see cref="CreateRoleUsersAsync"/>).</summary>
    public string AdminUri { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        if (Missing is not null)
        {
            return; // the tests are reported skipped by RabbitMqClusterFactAttribute
        }

        (int code, string stdout, string stderr) = await RabbitMqFixture.RunScriptAsync(null, "cluster", "start", _dir, "3").ConfigureAwait(false);
        if (code != 0)
        {
            // As RabbitMqFixture does for one node: a node that did not come up within the script's 90 s on
            // a loaded machine gets one more try, from scratch on other ports (the script stopped them all).
            foreach (string node in System.IO.Directory.GetDirectories(_dir))
            {
                System.IO.Directory.Delete(node, recursive: true);
            }

            (code, stdout, string again) = await RabbitMqFixture.RunScriptAsync(null, "cluster", "start", _dir, "3").ConfigureAwait(false);
            stderr = $"{stderr}\n(second attempt) {again}";
        }

        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/rabbitmq.sh cluster start failed ({code}): {stderr}");
        }

        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Nodes = lines[..^1];
        AdminUri = lines[^1];
    }

    public async Task DisposeAsync()
    {
        if (Missing is null)
        {
            await RabbitMqFixture.RunScriptAsync(null, "cluster", "stop", _dir).ConfigureAwait(false);
        }

        try
        {
            System.IO.Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // a node may still be flushing its files; the temp dir is harmless
        }
    }

    /// <summary><c>cluster users</c>: role → URI on n1 (registrar, verifier, agent, operator); <see cref="AdminUri"/> becomes the admin's.</summary>
    public async Task<IReadOnlyDictionary<string, string>> CreateRoleUsersAsync()
    {
        (int code, string stdout, string stderr) = await RabbitMqFixture.RunScriptAsync(null, "cluster", "users", _dir).ConfigureAwait(false);
        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/rabbitmq.sh cluster users failed ({code}): {stderr}");
        }

        Dictionary<string, string> roles = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
        AdminUri = roles["admin"];
        roles.Remove("admin");
        return roles;
    }

    /// <summary><paramref name="uri"/> with its host:port replaced by node <paramref name="k"/>'s (1-based).</summary>
    public string On(string uri, int k) => new UriBuilder(uri) { Host = "127.0.0.1", Port = PortOf(k) }.Uri.ToString();

    /// <summary>The nodes other than <paramref name="k"/>, in order, as a Broker:ClusterNodes value.</summary>
    public string OthersThan(int k) => string.Join(',', Nodes.Where((_, i) => i != k - 1));

    public int PortOf(int k) => int.Parse(Nodes[k - 1].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The node (1-based) whose AMQP port is <paramref name="port"/>, or 0.</summary>
    public int NodeOfPort(int port) => Enumerable.Range(1, Nodes.Count).FirstOrDefault(k => PortOf(k) == port);

    /// <summary>The node (1-based) of an Erlang node name kcpPORT@localhost, or 0.</summary>
    public int NodeOfName(string erlangNode)
    {
        string name = erlangNode.Trim();
        int at = name.IndexOf('@', StringComparison.Ordinal);
        return name.StartsWith("kcp", StringComparison.Ordinal) && at > 3 && int.TryParse(name[3..at], out int port)
            ? Enumerable.Range(1, Nodes.Count).FirstOrDefault(k => PortOf(k) == port)
            : 0;
    }

    /// <summary>SIGKILL node <paramref name="k"/> (its peers see it vanish, as on a crash).</summary>
    public async Task KillAsync(int k)
    {
        (int code, _, string stderr) = await RabbitMqFixture.RunScriptAsync(null, "cluster", "kill", _dir, k.ToString(System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/rabbitmq.sh cluster kill {k} failed ({code}): {stderr}");
        }
    }

    /// <summary>rabbitmqctl against node <paramref name="k"/>.</summary>
    public Task<(int Code, string Stdout, string Stderr)> Ctl(int k, params string[] args) =>
        RabbitMqFixture.RunScriptAsync(null, ["cluster", "ctl", _dir, k.ToString(System.Globalization.CultureInfo.InvariantCulture), .. args]);

    /// <summary><c>list_queues</c> (cluster-wide) asked of node <paramref name="k"/>: name → the requested columns.</summary>
    public async Task<IReadOnlyDictionary<string, string[]>> QueuesAsync(int k, params string[] columns)
    {
        (int code, string stdout, string stderr) = await Ctl(k, ["list_queues", "-q", "--no-table-headers", "name", .. columns]).ConfigureAwait(false);
        if (code != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl list_queues on n{k} failed ({code}): {stderr}");
        }

        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == columns.Length + 1)
            .ToDictionary(f => f[0], f => f[1..], StringComparer.Ordinal);
    }
}

/// <summary>A fact that needs <see cref="RabbitMqCluster"/>: reported skipped with the reason when the machine has no rabbitmq-server.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RabbitMqClusterFactAttribute : FactAttribute
{
    public RabbitMqClusterFactAttribute()
    {
        if (RabbitMqCluster.Missing is { } missing)
        {
            Skip = $"SKIPPED: {missing}";
        }
    }
}
