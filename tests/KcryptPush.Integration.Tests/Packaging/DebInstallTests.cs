using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Packaging;

/// <summary>
/// The packages in a clean Debian bookworm (a debootstrap image with systemd and the packages'
/// dependencies, no .NET): <c>dpkg -i</c>, <c>systemd-analyze verify</c>, <c>--help</c> without
/// <c>dotnet</c>, then remove (conffiles and state stay) and purge (nothing of ours stays).
/// </summary>
[Collection(PackagingCollection.Name)]
[Trait("Category", "Containers")]
public sealed class DebInstallTests(DebPackages debs)
{
    private static readonly string[] Roles = ["agent", "registrar", "verifier"];

    [PackagingFact(PackagingRequirements.DockerEngine)]
    public async Task The_packages_install_with_dpkg_into_a_clean_bookworm_and_their_units_verify()
    {
        await debs.EnsureBuiltAsync();
        await TestImages.EnsureAsync();
        using TestContainer c = TestContainer.Start(systemd: false);
        Install(c, debs);

        Assert.NotEqual(0, c.Sh("command -v dotnet").ExitCode);
        foreach (string role in Roles)
        {
            string unit = $"/lib/systemd/system/kcrypt-push-{role}.service";
            Assert.Equal($"ii kcrypt-push-{role} {DebPackages.Version}", c.ShChecked($"dpkg-query -W -f '${{db:Status-Abbrev}}${{Package}} ${{Version}}' kcrypt-push-{role}").Replace("  ", " ", StringComparison.Ordinal).Trim());
            Assert.Contains($"/etc/kcrypt-push/{role}.env", c.ShChecked($"dpkg-query -W -f '${{Conffiles}}' kcrypt-push-{role}"), StringComparison.Ordinal);
            Assert.Equal("600 root root", c.ShChecked($"stat -c '%a %U %G' /etc/kcrypt-push/{role}.env").Trim());
            Assert.Equal($"/usr/lib/kcrypt-push/{role}/kcrypt-push-{role}", c.ShChecked($"readlink -f /usr/bin/kcrypt-push-{role}").Trim());

            // verify loads the unit as systemd would (ExecStart must exist, directives must parse).
            ProcessResult verify = c.Sh($"systemd-analyze verify {unit}");
            Assert.True(verify.ExitCode == 0, verify.StdErr);
            Assert.DoesNotContain($"kcrypt-push-{role}", verify.StdErr, StringComparison.Ordinal);

            ProcessResult help = c.Sh($"kcrypt-push-{role} --help");
            Assert.True(help.ExitCode == 0, help.StdErr);
            Assert.Contains("Usage:", help.StdOut, StringComparison.Ordinal);
        }

        Assert.Equal("/usr/lib/kcrypt-push/agent/kcrypt-discovery-kcrypt-push", c.ShChecked("readlink -f /system/discovery/kcrypt-discovery-kcrypt-push").Trim());
        Assert.Equal(0, c.Sh("test -x /system/discovery/kcrypt-discovery-kcrypt-push").ExitCode);
        Assert.Equal("755 root root", c.ShChecked("stat -c '%a %U %G' /var/lib/kcrypt-push-agent").Trim());
    }

    [PackagingFact(PackagingRequirements.DockerEngine)]
    public async Task Remove_keeps_the_conffiles_and_the_state_and_purge_leaves_nothing_of_ours()
    {
        await debs.EnsureBuiltAsync();
        await TestImages.EnsureAsync();
        using TestContainer c = TestContainer.Start(systemd: false);

        // systemd's own directory for every DynamicUser= service on the machine: it stays after
        // purge, only our entries in it must go.
        c.ShChecked("mkdir -p -m 0700 /var/lib/private");
        string before = c.ShChecked(Snapshot);
        Install(c, debs);

        // What the services leave behind: an edited setting, the agent's state, the DynamicUser
        // state directories systemd makes (/var/lib/X -> private/X), the verifier's database and key.
        c.ShChecked("""
            echo KCRYPTPUSH_BROKER=amqp://agent:secret@broker:5672/ >> /etc/kcrypt-push/agent.env
            touch /var/lib/kcrypt-push-agent/state
            for r in registrar verifier; do
              mkdir -p /var/lib/private/kcrypt-push-$r && ln -s private/kcrypt-push-$r /var/lib/kcrypt-push-$r
            done
            touch /var/lib/private/kcrypt-push-registrar/registrar.db /var/lib/private/kcrypt-push-verifier/verifier.db \
                  /var/lib/private/kcrypt-push-verifier/verifier.secret-key
            """);

        c.ShChecked("dpkg -r kcrypt-push-agent kcrypt-push-registrar kcrypt-push-verifier");
        foreach (string role in Roles)
        {
            Assert.Equal($"rc kcrypt-push-{role}", c.ShChecked($"dpkg-query -W -f '${{db:Status-Abbrev}}${{Package}}' kcrypt-push-{role}").Replace("  ", " ", StringComparison.Ordinal).Trim());
            Assert.Equal(0, c.Sh($"test -f /etc/kcrypt-push/{role}.env").ExitCode);
            Assert.NotEqual(0, c.Sh($"test -e /usr/bin/kcrypt-push-{role} || test -e /usr/lib/kcrypt-push/{role} || test -e /lib/systemd/system/kcrypt-push-{role}.service").ExitCode);
        }

        Assert.Contains("amqp://agent:secret@broker", c.ShChecked("cat /etc/kcrypt-push/agent.env"), StringComparison.Ordinal);
        Assert.Equal(0, c.Sh("test -f /var/lib/kcrypt-push-agent/state && test -f /var/lib/kcrypt-push-verifier/verifier.secret-key").ExitCode);
        Assert.NotEqual(0, c.Sh("test -e /system/discovery/kcrypt-discovery-kcrypt-push").ExitCode);

        c.ShChecked("dpkg -P kcrypt-push-agent kcrypt-push-registrar kcrypt-push-verifier");
        foreach (string role in Roles)
        {
            Assert.NotEqual(0, c.Sh($"dpkg-query -W kcrypt-push-{role} 2>/dev/null | grep -q .").ExitCode);
        }

        // Everything but what was there before is gone: binaries, units, conffiles (dpkg), state (postrm).
        Assert.Equal(before, c.ShChecked(Snapshot));
    }

    /// <summary>
    /// Every path that names kcrypt, and every entry (hidden ones too: <c>ls -A</c>, names only, so
    /// that a directory's own times do not count) of the directories the packages touch, or that
    /// the directory is absent.
    /// </summary>
    private const string Snapshot =
        "find / -xdev \\( -path /proc -o -path /sys -o -path /tmp \\) -prune -o -name '*kcrypt*' -print | sort; "
        + "for d in /etc/kcrypt-push /var/lib/private /system /lib/systemd/system /usr/bin /usr/lib/kcrypt-push /var/lib; do "
        + "if [ -d \"$d\" ]; then echo \"$d:\"; ls -A \"$d\"; else echo \"$d: absent\"; fi; done";

    private static void Install(TestContainer c, DebPackages debs)
    {
        foreach (string deb in debs.Amd64)
        {
            c.CopyIn(deb, "/tmp/");
        }

        c.ShChecked("dpkg -i /tmp/kcrypt-push-*_amd64.deb && rm /tmp/kcrypt-push-*_amd64.deb");
    }
}
