using System.Diagnostics;
using System.Text.Json;
using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Packaging;

/// <summary>
/// The three packages installed in one container running systemd as PID 1, their units started for
/// real against a broker and a swtpm (PCRs seeded from a real event log) on this machine's
/// loopback (host network). The agent unit is started first, while no registrar runs, so it must
/// stay "activating" until the registrar is up and the node has enrolled (READY=1).
/// </summary>
/// <remarks>
/// A drop-in adapts the agent unit to a machine without a TPM: <c>ConditionPathExists=</c> is
/// cleared (there is no /dev/tpmrm0; the agent talks to swtpm over TCP), and WatchdogSec=5s,
/// RestartSec=1s, TimeoutAbortSec=5s shorten the watchdog test. Nothing else is changed.
/// </remarks>
public sealed class SystemdNodeFixture : IAsyncLifetime
{
    private SwtpmInstance? _tpm;

    public RabbitMqFixture Broker { get; } = new();

    public TestContainer Node { get; private set; } = null!;

    public IReadOnlyDictionary<string, string> Users { get; private set; } = null!;

    /// <summary>The agent's ActiveState and status 8 s after its start, before the registrar ran.</summary>
    public string StateBeforeRegistrar { get; private set; } = string.Empty;

    /// <summary>The agent's ActiveState right after the registrar and verifier started.</summary>
    public TimeSpan ActiveAfterRegistrar { get; private set; }

    /// <summary>Set when the packaging requirements are not met (the tests skip then).</summary>
    public bool Skipped { get; private set; }

    public async Task InitializeAsync()
    {
        if (PackagingRequirements.Missing([PackagingRequirements.DockerEngine]) is not null)
        {
            Skipped = true;
            return;
        }

        await TestImages.EnsureAsync();
        Task<SwtpmInstance> tpm = Task.Run(() =>
        {
            SwtpmInstance t = SwtpmInstance.Start();
            EventLogSeeder.Seed(t, File.ReadAllBytes(Path.Combine(RepoPaths.EventLogs, "gcp-ubuntu2104-nosb.bin")));
            return t;
        });
        await Broker.InitializeAsync();
        Users = await Broker.CreateRoleUsersAsync();
        _tpm = await tpm;
    }

    /// <summary>Installs the packages and starts the units (once; the tests share the node).</summary>
    public async Task StartAsync(DebPackages debs)
    {
        if (Node is not null)
        {
            return;
        }

        await debs.EnsureBuiltAsync();
        Node = TestContainer.Start(systemd: true);
        foreach (string deb in debs.Amd64)
        {
            Node.CopyIn(deb, "/tmp/");
        }

        Node.ShChecked("dpkg -i /tmp/kcrypt-push-*_amd64.deb && rm /tmp/kcrypt-push-*_amd64.deb && mkdir -p /etc/kcrypt-push/ek-ca");
        Node.CopyIn(Path.Combine(_tpm!.EkCaDirectory, "root.pem"), "/etc/kcrypt-push/ek-ca/swtpm-root.pem");
        Node.CopyIn(Path.Combine(_tpm.EkCaDirectory, "intermediate.pem"), "/etc/kcrypt-push/ek-ca/swtpm-intermediate.pem");
        Node.CopyIn(Path.Combine(RepoPaths.EventLogs, "gcp-ubuntu2104-nosb.bin"), "/etc/kcrypt-push/eventlog.bin");
        Node.ShChecked($$"""
            set -e
            chown -R root:root /etc/kcrypt-push && chmod 0644 /etc/kcrypt-push/ek-ca/* /etc/kcrypt-push/eventlog.bin
            cat >> /etc/kcrypt-push/agent.env <<'EOF'
            KCRYPTPUSH_BROKER={{Users["agent"]}}
            KCRYPTPUSH_TPM={{_tpm.TpmUri}}
            KCRYPTPUSH_EVENT_LOG=/etc/kcrypt-push/eventlog.bin
            KCRYPTPUSH_INTERVAL=5s
            KCRYPTPUSH_Broker__RequestTimeout=00:00:05
            KCRYPTPUSH_Agent__RetryMaxDelay=00:00:03
            EOF
            echo 'KCRYPTPUSH_BROKER={{Users["registrar"]}}' >> /etc/kcrypt-push/registrar.env
            printf 'KCRYPTPUSH_BROKER=%s\nKCRYPTPUSH_INTERVAL=5s\n' '{{Users["verifier"]}}' >> /etc/kcrypt-push/verifier.env
            mkdir -p /etc/systemd/system/kcrypt-push-agent.service.d
            printf '[Unit]\nConditionPathExists=\n[Service]\nWatchdogSec=5s\nRestartSec=1s\nTimeoutAbortSec=5s\n' \
              > /etc/systemd/system/kcrypt-push-agent.service.d/test.conf
            systemctl daemon-reload
            systemctl start --no-block kcrypt-push-agent
            """);

        await Task.Delay(TimeSpan.FromSeconds(8));
        StateBeforeRegistrar = Node.ShChecked("systemctl show -p ActiveState -p StatusText kcrypt-push-agent").Trim();

        Node.ShChecked("systemctl start kcrypt-push-registrar kcrypt-push-verifier");
        var clock = Stopwatch.StartNew();
        Node.WaitUntil(TimeSpan.FromSeconds(90), () => State("kcrypt-push-agent") == "active", "the agent did not turn active after the registrar started");
        ActiveAfterRegistrar = clock.Elapsed;
    }

    public string State(string unit) => Node.Sh($"systemctl show -p ActiveState --value {unit}").StdOut.Trim();

    public string Show(string unit, string property) => Node.Sh($"systemctl show -p {property} --value {unit}").StdOut.Trim();

    public async Task DisposeAsync()
    {
        Node?.Dispose();
        _tpm?.Dispose();
        if (!Skipped)
        {
            await Broker.DisposeAsync();
        }
    }
}

[Collection(PackagingCollection.Name)]
[Trait("Category", "Containers")]
public sealed class SystemdNodeTests(DebPackages debs, SystemdNodeFixture node) : IClassFixture<SystemdNodeFixture>
{
    private const string Label = "COS_PERSISTENT";

    [PackagingFact(PackagingRequirements.DockerEngine)]
    public async Task The_agent_unit_turns_active_only_once_the_node_has_enrolled()
    {
        await node.StartAsync(debs);

        Assert.Contains("ActiveState=activating", node.StateBeforeRegistrar, StringComparison.Ordinal);
        Assert.Equal("active", node.State("kcrypt-push-agent"));
        Assert.StartsWith("enrolled as ", node.Show("kcrypt-push-agent", "StatusText"), StringComparison.Ordinal);
        string journal = node.Node.ShChecked("journalctl -u kcrypt-push-agent -o cat --no-pager");
        Assert.Contains("Enrolled ", journal, StringComparison.Ordinal);
        Assert.Contains("systemd watchdog enabled", journal, StringComparison.Ordinal);
        Console.WriteLine($"agent: '{node.StateBeforeRegistrar.ReplaceLineEndings(" ")}' before the registrar ran, active {node.ActiveAfterRegistrar.TotalSeconds:0.0} s after it started");
    }

    [PackagingFact(PackagingRequirements.DockerEngine)]
    public async Task A_stopped_agent_is_restarted_by_the_watchdog()
    {
        await node.StartAsync(debs);
        string pid = node.Show("kcrypt-push-agent", "MainPID");
        int restarts = int.Parse(node.Show("kcrypt-push-agent", "NRestarts"), System.Globalization.CultureInfo.InvariantCulture);

        node.Node.ShChecked($"kill -STOP {pid}");
        node.Node.WaitUntil(TimeSpan.FromSeconds(90), () =>
            int.Parse(node.Show("kcrypt-push-agent", "NRestarts"), System.Globalization.CultureInfo.InvariantCulture) > restarts
            && node.State("kcrypt-push-agent") == "active"
            && node.Show("kcrypt-push-agent", "MainPID") != pid,
            "the watchdog did not restart the stopped agent");

        Assert.Contains("Watchdog timeout", node.Node.ShChecked("journalctl -u kcrypt-push-agent -o cat --no-pager"), StringComparison.Ordinal);
    }

    [PackagingFact(PackagingRequirements.DockerEngine)]
    public async Task Registrar_and_verifier_run_as_their_own_dynamic_users_in_their_own_state_directories()
    {
        await node.StartAsync(debs);

        // Numeric IDs: a DynamicUser= name resolves only through libnss-systemd, which a minimal
        // Debian (systemd without recommends) lacks, so ps and stat would print a number or UNKNOWN.
        int Id(string field, string unit) => int.Parse(
            node.Node.ShChecked($"awk '/^{field}:/ {{ print $2 }}' /proc/{node.Show(unit, "MainPID")}/status").Trim(),
            System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal("active", node.State("kcrypt-push-registrar"));
        Assert.Equal("active", node.State("kcrypt-push-verifier"));
        int registrar = Id("Uid", "kcrypt-push-registrar");
        int verifier = Id("Uid", "kcrypt-push-verifier");
        Assert.Equal(0, Id("Uid", "kcrypt-push-agent")); // the TPM device is root's

        // systemd allocates dynamic users from 61184-65519, group ID = user ID; one per service.
        Assert.NotEqual(registrar, verifier);
        foreach ((string role, int uid) in new[] { ("registrar", registrar), ("verifier", verifier) })
        {
            Assert.InRange(uid, 61184, 65519);
            Assert.Equal(uid, Id("Gid", $"kcrypt-push-{role}"));
            Assert.Equal($"private/kcrypt-push-{role}", node.Node.ShChecked($"readlink /var/lib/kcrypt-push-{role}").Trim());
            Assert.Equal($"{uid}:{uid} 700", node.Node.ShChecked($"stat -c '%u:%g %a' /var/lib/private/kcrypt-push-{role}").Trim());
            Assert.Equal("700 root", node.Node.ShChecked("stat -c '%a %U' /var/lib/private").Trim());
            Assert.Equal(uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                node.Node.ShChecked($"stat -c %u /var/lib/private/kcrypt-push-{role}/{role}.db").Trim());
        }

        Assert.Equal($"{verifier} 600", node.Node.ShChecked("stat -c '%u %a' /var/lib/private/kcrypt-push-verifier/verifier.secret-key").Trim());
        Assert.NotEqual(0, node.Node.Sh("test -e /var/lib/private/kcrypt-push-registrar/verifier.secret-key").ExitCode);
    }

    [PackagingFact(PackagingRequirements.DockerEngine)]
    public async Task The_plugin_link_answers_discovery_password_from_the_verifier()
    {
        await node.StartAsync(debs);
        string op = node.Users["operator"];
        string hash = string.Empty;
        node.Node.WaitUntil(TimeSpan.FromSeconds(90), () =>
        {
            ProcessResult list = node.Node.Sh($"kcrypt-push-verifier nodes list --json --broker '{op}' --timeout 20s");
            if (list.ExitCode != 0)
            {
                return false;
            }

            using JsonDocument doc = JsonDocument.Parse(list.StdOut);
            JsonElement? trusted = doc.RootElement.EnumerateArray().Cast<JsonElement?>().FirstOrDefault(n => n!.Value.GetProperty("state").GetString() == "Trusted");
            hash = trusted?.GetProperty("tpmHash").GetString() ?? string.Empty;
            return hash.Length > 0;
        }, "the node did not become Trusted");
        node.Node.ShChecked($"kcrypt-push-verifier nodes set-secret {hash} {Label} --broker '{op}' --timeout 20s", stdin: "correct horse battery staple");

        // As kcrypt runs it: outside systemd, the event name as argument, the event on stdin.
        string Ask(string label) => node.Node.ShChecked(
            "/system/discovery/kcrypt-discovery-kcrypt-push discovery.password 2>/dev/null",
            stdin: JsonSerializer.Serialize(new { data = JsonSerializer.Serialize(new { label }) }));

        using (JsonDocument answer = JsonDocument.Parse(Ask(Label)))
        {
            Assert.Equal("correct horse battery staple", answer.RootElement.GetProperty("data").GetString());
        }

        using (JsonDocument answer = JsonDocument.Parse(Ask("NO_SUCH_LABEL")))
        {
            Assert.StartsWith("not configured", answer.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
    }

    [PackagingFact(PackagingRequirements.DockerEngine)]
    public async Task The_units_hardening_applies_in_the_container()
    {
        await node.StartAsync(debs);
        foreach (string unit in new[] { "kcrypt-push-agent", "kcrypt-push-registrar", "kcrypt-push-verifier" })
        {
            string pid = node.Show(unit, "MainPID");
            string status = node.Node.ShChecked($"cat /proc/{pid}/status");
            Assert.Contains("NoNewPrivs:\t1", status, StringComparison.Ordinal);
            Assert.Contains("Seccomp:\t2", status, StringComparison.Ordinal);   // SystemCallArchitectures=, RestrictAddressFamilies=, ...
            Assert.Contains("CapBnd:\t0000000000000000", status, StringComparison.Ordinal);

            // Its own mount namespace (ProtectSystem=strict, ProtectHome=, PrivateTmp=): / is read-only
            // in the service's mount table while PID 1's is writable. Read from mountinfo, which any
            // process may read, not /proc/PID/ns/mnt, whose link needs ptrace access to the service
            // and is refused where the engine confines ptrace (AppArmor's docker-default).
            Assert.Contains(node.Node.ShChecked("awk '{print $5, $6}' /proc/1/mountinfo").Split('\n'), l => l.StartsWith("/ rw,", StringComparison.Ordinal));
            string mounts = node.Node.ShChecked($"awk '{{print $5, $6}}' /proc/{pid}/mountinfo");
            Assert.Contains(mounts.Split('\n'), l => l.StartsWith("/ ro,", StringComparison.Ordinal));
            Assert.Contains(mounts.Split('\n'), l => l.StartsWith("/tmp ", StringComparison.Ordinal));
            Assert.Contains(mounts.Split('\n'), l => l.StartsWith("/home ro,", StringComparison.Ordinal));
        }

        string journal = node.Node.ShChecked("journalctl -b -o cat --no-pager | grep -E 'kcrypt-push-.*(ignoring|prohibited|not supported)' | grep -v 'Failed to get cgroup ID' || true");
        Assert.True(journal.Length == 0, journal);
    }
}
