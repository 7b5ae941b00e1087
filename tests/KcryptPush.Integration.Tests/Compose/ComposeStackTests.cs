using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Integration.Tests.Packaging;
using Xunit.Abstractions;

namespace KcryptPush.Integration.Tests.Compose;

/// <summary>
/// compose/ as the README says to run it: <c>docker-compose -f compose/docker-compose.yml up -d
/// --build</c> brings up the broker, the registrar, the verifier and two agents on their own
/// swtpms; <c>exec -T verifier kcrypt-push-verifier nodes list --json</c> shows both nodes Trusted
/// within 4 minutes; <c>down -v</c> leaves no container, volume or network. The base images are the
/// local stand-ins of scripts/compose-images.sh (no registry is reachable here; with
/// <c>KCRYPT_TEST_COMPOSE_OFFICIAL=1</c> the official ones are pulled instead). A project name of
/// its own, so a stack a user runs beside it is left alone.
/// </summary>
[Trait("Category", "Containers")]
public sealed class ComposeStackTests(ITestOutputHelper output)
{
    private static readonly string ComposeFile = Path.Combine(RepoPaths.Root, "compose", "docker-compose.yml");

    private readonly string _project = $"kcrypt-push-test-{Guid.NewGuid():N}"[..25];

    // Not the user's 15672: a free port of this test's own.
    private readonly string _managementPort = FreePort().ToString(CultureInfo.InvariantCulture);

    [PackagingFact(PackagingRequirements.DockerEngine, "docker-compose")]
    public void The_stack_comes_up_both_nodes_turn_Trusted_within_4_minutes_and_down_v_leaves_nothing()
    {
        var timings = new List<string>();
        var clock = Stopwatch.StartNew();
        if (Environment.GetEnvironmentVariable("KCRYPT_TEST_COMPOSE_OFFICIAL") != "1")
        {
            Checked(ProcessRunner.Run(Path.Combine(RepoPaths.Root, "scripts", "compose-images.sh"), [], timeout: TimeSpan.FromMinutes(25)), "scripts/compose-images.sh");
            timings.Add($"compose-images.sh {clock.Elapsed.TotalSeconds:0} s");
        }

        try
        {
            clock.Restart();
            Checked(Compose(TimeSpan.FromMinutes(30), "up", "-d", "--build"), "up -d --build");
            TimeSpan up = clock.Elapsed;
            timings.Add($"up -d --build {up.TotalSeconds:0} s");

            // Both nodes Trusted, as the operator sees it from the verifier's container.
            clock.Restart();
            JsonElement[] nodes = [];
            string last = string.Empty;
            while (clock.Elapsed < TimeSpan.FromMinutes(4))
            {
                ProcessResult list = Compose(TimeSpan.FromMinutes(1), "exec", "-T", "verifier", "kcrypt-push-verifier", "nodes", "list", "--json");
                last = $"exit {list.ExitCode}: {list.StdOut}{list.StdErr}";
                if (list.ExitCode == 0)
                {
                    nodes = [.. JsonDocument.Parse(list.StdOut).RootElement.EnumerateArray().Select(n => n.Clone())];
                    if (nodes.Length == 2 && nodes.All(n => n.GetProperty("state").GetString() == "Trusted"))
                    {
                        break;
                    }
                }

                Thread.Sleep(5000);
            }

            timings.Add($"both Trusted after {clock.Elapsed.TotalSeconds:0} s");
            Assert.True(nodes.Length == 2 && nodes.All(n => n.GetProperty("state").GetString() == "Trusted"),
                $"not both nodes Trusted within 4 minutes of up ({string.Join(", ", timings)}); last nodes list: {last}\n{Logs()}");
            Assert.Equal(["node-1", "node-2"], nodes.Select(n => n.GetProperty("hostname").GetString()).Order(StringComparer.Ordinal));

            // Non-root services: the .NET images' user app.
            foreach (string service in new[] { "registrar", "verifier", "agent1", "agent2", "tpm1" })
            {
                Assert.Equal("1654", Checked(Compose(TimeSpan.FromMinutes(1), "exec", "-T", service, "id", "-u"), $"exec {service} id -u").StdOut.Trim());
            }

            // The broker has the role users and no guest.
            string users = Checked(Compose(TimeSpan.FromMinutes(1), "exec", "-T", "rabbitmq", "rabbitmqctl", "list_users", "-q", "--no-table-headers"), "list_users").StdOut;
            string[] names = [.. users.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t', ' ')[0].Trim()).Order(StringComparer.Ordinal)];
            Assert.Equal(["kcrypt-admin", "kcrypt-agent", "kcrypt-operator", "kcrypt-registrar", "kcrypt-verifier"], names);
        }
        finally
        {
            clock.Restart();
            ProcessResult down = Compose(TimeSpan.FromMinutes(5), "down", "-v", "--remove-orphans");
            timings.Add($"down -v {clock.Elapsed.TotalSeconds:0} s");
            output.WriteLine($"compose stack: {string.Join(", ", timings)}");
            Checked(down, "down -v");
        }

        // down -v: nothing of the project is left.
        string label = $"label=com.docker.compose.project={_project}";
        Assert.Equal(string.Empty, Docker("ps", "-aq", "--filter", label));
        Assert.Equal(string.Empty, Docker("volume", "ls", "-q", "--filter", label));
        Assert.Equal(string.Empty, Docker("network", "ls", "-q", "--filter", label));
    }

    private ProcessResult Compose(TimeSpan timeout, params string[] args)
    {
        var environment = new Dictionary<string, string>
        {
            ["KCRYPT_MANAGEMENT_PORT"] = _managementPort,
            // An untrimmed publish without ReadyToRun: the images build in minutes less (CI's time);
            // the trimmed ReadyToRun binaries are what the packaging tests run.
            ["KCRYPT_PUBLISH_OPTIONS"] = Environment.GetEnvironmentVariable("KCRYPT_TEST_COMPOSE_PUBLISH_OPTIONS") is { Length: > 0 } o ? o : "-p:PublishTrimmed=false",
        };
        return ProcessRunner.Run("docker-compose", ["-f", ComposeFile, "-p", _project, .. args], environment: environment, timeout: timeout);
    }

    private string Logs()
    {
        ProcessResult logs = Compose(TimeSpan.FromMinutes(1), "logs", "--no-color", "--tail=30");
        return logs.StdOut + logs.StdErr;
    }

    private static ProcessResult Checked(ProcessResult r, string what) =>
        r.ExitCode == 0 ? r : throw new InvalidOperationException($"{what} exited {r.ExitCode}\n{r.StdErr}\n{r.StdOut}");

    private static string Docker(params string[] args) =>
        Checked(ProcessRunner.Run("docker", args, timeout: TimeSpan.FromMinutes(1)), $"docker {string.Join(' ', args)}").StdOut.Trim();

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
