using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests;

/// <summary>The unit files in systemd/ are accepted by systemd-analyze and keep their hardening.</summary>
[Trait("Category", "Integration")]
public sealed class SystemdUnitTests
{
    public static TheoryData<string> Units => new() { "kcrypt-push-agent", "kcrypt-push-registrar", "kcrypt-push-verifier" };

    [Theory]
    [MemberData(nameof(Units))]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Systemd_analyze_verify_accepts_the_unit(string unit)
    {
        // verify checks that ExecStart exists: point it at a stand-in executable in a private dir.
        string dir = Directory.CreateTempSubdirectory("kcrypt-push-units-").FullName;
        try
        {
            string exe = Path.Combine(dir, unit);
            File.WriteAllText(exe, "#!/bin/sh\n");
            File.SetUnixFileMode(exe, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
            string text = File.ReadAllText(Path.Combine(RepoPaths.Root, "systemd", unit + ".service"))
                .Replace($"/usr/bin/{unit}", exe, StringComparison.Ordinal);
            string copy = Path.Combine(dir, unit + ".service");
            File.WriteAllText(copy, text);

            ProcessResult verify = ProcessRunner.Run("systemd-analyze", ["verify", copy]);

            Assert.True(verify.ExitCode == 0, verify.StdErr);
            Assert.DoesNotContain(unit, verify.StdErr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Each_unit_has_its_own_state_directory_and_keeps_its_database_there()
    {
        // systemd chowns a StateDirectory recursively to the unit's (dynamic) user: a shared one would
        // hand the verifier's secret key file to the registrar.
        var dirs = new Dictionary<string, string>();
        foreach (string unit in new[] { "kcrypt-push-agent", "kcrypt-push-registrar", "kcrypt-push-verifier" })
        {
            string[] lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "systemd", unit + ".service"));
            string dir = Assert.Single(lines, l => l.StartsWith("StateDirectory=", StringComparison.Ordinal))["StateDirectory=".Length..];
            Assert.Equal(unit, dir);
            dirs[unit] = dir;
            if (unit != "kcrypt-push-agent")
            {
                string db = Assert.Single(lines, l => l.StartsWith("Environment=KCRYPTPUSH_DB=", StringComparison.Ordinal))["Environment=KCRYPTPUSH_DB=".Length..];
                Assert.StartsWith($"/var/lib/{dir}/", db, StringComparison.Ordinal);
            }
        }

        Assert.Equal(3, dirs.Values.Distinct().Count());
    }

    [Fact]
    public void The_agent_unit_is_notify_with_watchdog_tpm_access_and_hardening()
    {
        string[] lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "systemd", "kcrypt-push-agent.service"));

        foreach (string expected in new[]
        {
            "Type=notify", "DeviceAllow=/dev/tpmrm0 rw", "ProtectSystem=strict", "NoNewPrivileges=true",
            "PrivateTmp=true", "StateDirectory=kcrypt-push-agent",
        })
        {
            Assert.Contains(expected, lines);
        }
        Assert.Contains(lines, l => l.StartsWith("WatchdogSec=", StringComparison.Ordinal));
    }
}
