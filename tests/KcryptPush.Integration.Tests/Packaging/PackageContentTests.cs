using System.Text.Json;
using KcryptPush.Integration.Tests.Fixtures;

namespace KcryptPush.Integration.Tests.Packaging;

/// <summary>
/// What scripts/package.sh puts in the packages, checked with dpkg-deb on this machine (no engine
/// needed): layout, modes, links, conffiles, maintainer scripts; every binary runs with no
/// <c>dotnet</c> anywhere on PATH; the arm64 agent runs under qemu-user.
/// </summary>
[Collection(PackagingCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PackageContentTests(DebPackages debs)
{
    private static readonly string[] Roles = ["agent", "registrar", "verifier"];

    [PackagingFact]
    public async Task Each_package_has_its_binaries_link_unit_private_conffile_and_maintainer_scripts()
    {
        await debs.EnsureBuiltAsync();
        foreach (string role in Roles)
        {
            string deb = Path.Combine(debs.Directory, $"kcrypt-push-{role}_{DebPackages.Version}_amd64.deb");
            Assert.Equal($"kcrypt-push-{role}", DebPackages.Field(deb, "Package"));
            Assert.Equal("amd64", DebPackages.Field(deb, "Architecture"));
            Assert.Contains("libssl3", DebPackages.Field(deb, "Depends"), StringComparison.Ordinal);

            // dpkg-deb -c: "perms owner/group size date time path [-> target]"
            string[] listing = ProcessRunner.RunChecked("dpkg-deb", ["-c", deb]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            string Entry(string path) => Assert.Single(listing, l => l.EndsWith($" .{path}", StringComparison.Ordinal) || l.Contains($" .{path} -> ", StringComparison.Ordinal));

            Assert.StartsWith("-rwxr-xr-x root/root", Entry($"/usr/lib/kcrypt-push/{role}/kcrypt-push-{role}"), StringComparison.Ordinal);
            Assert.StartsWith("-rw-r--r-- root/root", Entry($"/usr/lib/kcrypt-push/{role}/appsettings.json"), StringComparison.Ordinal);
            Assert.EndsWith($"-> ../lib/kcrypt-push/{role}/kcrypt-push-{role}", Entry($"/usr/bin/kcrypt-push-{role}"), StringComparison.Ordinal);
            Assert.StartsWith("-rw-r--r-- root/root", Entry($"/lib/systemd/system/kcrypt-push-{role}.service"), StringComparison.Ordinal);
            Assert.StartsWith("-rw------- root/root", Entry($"/etc/kcrypt-push/{role}.env"), StringComparison.Ordinal);
            Assert.DoesNotContain(listing, l => l.EndsWith(".pdb", StringComparison.Ordinal));

            string x = DebPackages.Extract(deb);
            string control = Path.Combine(x, "DEBIAN");
            ProcessRunner.RunChecked("dpkg-deb", ["-e", deb, control]);
            Assert.Equal($"/etc/kcrypt-push/{role}.env", File.ReadAllText(Path.Combine(control, "conffiles")).Trim());
            foreach (string script in new[] { "postinst", "prerm", "postrm" })
            {
                string text = File.ReadAllText(Path.Combine(control, script));
                Assert.Contains($"kcrypt-push-{role}.service", text, StringComparison.Ordinal);
                Assert.DoesNotContain("@ROLE@", text, StringComparison.Ordinal);
            }

            Assert.Contains("daemon-reload", File.ReadAllText(Path.Combine(control, "postinst")), StringComparison.Ordinal);
            Assert.Contains($"rm -rf \"/var/lib/kcrypt-push-{role}\" \"/var/lib/private/kcrypt-push-{role}\"", File.ReadAllText(Path.Combine(control, "postrm")), StringComparison.Ordinal);
            Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.Root, "systemd", $"kcrypt-push-{role}.service")),
                File.ReadAllText(Path.Combine(x, "lib", "systemd", "system", $"kcrypt-push-{role}.service")));
            Directory.Delete(x, recursive: true);
        }
    }

    [PackagingFact]
    public async Task The_agent_package_links_the_kcrypt_discovery_plugin_relative_to_its_root()
    {
        await debs.EnsureBuiltAsync();
        string[] listing = ProcessRunner.RunChecked("dpkg-deb", ["-c", debs.Agent]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(listing, l => l.EndsWith(" ./system/discovery/kcrypt-discovery-kcrypt-push -> ../../usr/lib/kcrypt-push/agent/kcrypt-discovery-kcrypt-push", StringComparison.Ordinal));
        Assert.Contains(listing, l => l.StartsWith("-rwxr-xr-x root/root", StringComparison.Ordinal) && l.EndsWith(" ./usr/lib/kcrypt-push/agent/kcrypt-discovery-kcrypt-push", StringComparison.Ordinal));
        Assert.Contains(listing, l => l.StartsWith("drwxr-xr-x root/root", StringComparison.Ordinal) && l.EndsWith(" ./var/lib/kcrypt-push-agent/", StringComparison.Ordinal));
    }

    [PackagingFact]
    public async Task Each_binary_prints_its_help_with_no_dotnet_on_PATH()
    {
        await debs.EnsureBuiltAsync();
        foreach (string role in Roles)
        {
            string x = DebPackages.Extract(Path.Combine(debs.Directory, $"kcrypt-push-{role}_{DebPackages.Version}_amd64.deb"));
            try
            {
                // No PATH, no DOTNET_ROOT: only what the package holds and the system's libraries.
                ProcessResult help = ProcessRunner.Run("/usr/bin/env", ["-i", "PATH=/nonexistent", "HOME=/nonexistent",
                    Path.Combine(x, "usr", "bin", $"kcrypt-push-{role}"), "--help"]);
                Assert.True(help.ExitCode == 0, $"{role}: {help.StdErr}");
                Assert.Contains($"kcrypt-push-{role}", help.StdOut, StringComparison.Ordinal);
                Assert.Contains("Usage:", help.StdOut, StringComparison.Ordinal);
                string lib = Path.Combine(x, "usr", "lib", "kcrypt-push", role);
                if (role == "agent")
                {
                    // The amd64 agent is NativeAOT (scripts/package.sh): the runtime is compiled into its one
                    // executable; no managed assembly, no runtime library, nothing for a host to resolve.
                    Assert.Empty(Directory.GetFiles(lib, "*.dll"));
                    Assert.False(File.Exists(Path.Combine(lib, "libcoreclr.so")), $"{role}: a JIT runtime beside the NativeAOT agent");
                    Assert.False(File.Exists(Path.Combine(lib, $"kcrypt-push-{role}.runtimeconfig.json")), $"{role}: a runtimeconfig beside the NativeAOT agent");
                    string needed = ProcessRunner.RunChecked("ldd", [Path.Combine(lib, $"kcrypt-push-{role}")]).StdOut;
                    Assert.DoesNotContain("not found", needed, StringComparison.Ordinal);
                    Assert.DoesNotContain("libcoreclr", needed, StringComparison.Ordinal);
                    continue;
                }

                Assert.True(File.Exists(Path.Combine(lib, "libcoreclr.so")), $"{role}: the runtime is not in the package");
                Assert.DoesNotContain("\"frameworks\"", File.ReadAllText(Path.Combine(lib, $"kcrypt-push-{role}.runtimeconfig.json")), StringComparison.Ordinal);
            }
            finally
            {
                Directory.Delete(x, recursive: true);
            }
        }
    }

    [PackagingFact("qemu-aarch64-static", PackagingRequirements.Arm64Sysroot)]
    public async Task The_arm64_agent_prints_its_help_under_qemu_user()
    {
        await debs.EnsureArm64BuiltAsync();
        Assert.Equal("arm64", DebPackages.Field(debs.AgentArm64, "Architecture"));
        string sysroot = PackagingRequirements.Arm64SysrootPath()!;
        string x = DebPackages.Extract(debs.AgentArm64);
        try
        {
            string exe = Path.Combine(x, "usr", "lib", "kcrypt-push", "agent", "kcrypt-push-agent");
            Assert.Contains("ARM aarch64", ProcessRunner.RunChecked("file", ["-b", exe]).StdOut, StringComparison.Ordinal);
            ProcessResult help = ProcessRunner.Run("qemu-aarch64-static", ["-L", sysroot, exe, "--help"],
                environment: new Dictionary<string, string> { ["DOTNET_TieredCompilation"] = "0" }, timeout: TimeSpan.FromMinutes(5));
            Assert.True(help.ExitCode == 0, $"exit {help.ExitCode}: {help.StdErr}");
            Assert.Contains("kcrypt-push-agent", help.StdOut, StringComparison.Ordinal);
            Assert.Contains("discovery.password", help.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(x, recursive: true);
        }
    }

    [Fact]
    public void Each_env_file_names_every_option_of_its_appsettings_json_commented_out()
    {
        foreach ((string role, string appsettings) in new[]
        {
            ("agent", "agent/appsettings.json"),
            ("registrar", "registrar/appsettings.json"),
            ("verifier", "verifier/Hosting/appsettings.json"),
        })
        {
            string[] env = File.ReadAllLines(Path.Combine(RepoPaths.Root, "packaging", $"{role}.env"));
            Assert.All(env, l => Assert.True(l.Length == 0 || l.StartsWith('#'), $"{role}.env sets something: {l}"));
            string text = string.Join('\n', env);
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, appsettings)));
            foreach (string key in Keys(doc.RootElement, prefix: null))
            {
                if (key.StartsWith("Logging:LogLevel:Microsoft", StringComparison.Ordinal))
                {
                    continue; // a dot cannot be in an environment variable name systemd accepts
                }

                string variable = "KCRYPTPUSH_" + key.Replace(":", "__", StringComparison.Ordinal);
                string alias = key switch
                {
                    "Broker:Uri" => "KCRYPTPUSH_BROKER",
                    "Registrar:Db" or "Verifier:Db" => "KCRYPTPUSH_DB",
                    "Registrar:EkCaDir" => "KCRYPTPUSH_EK_CA_DIR",
                    "Registrar:RequireEkCertificate" => "KCRYPTPUSH_REQUIRE_EK_CERT",
                    "Agent:Tpm" => "KCRYPTPUSH_TPM",
                    "Agent:Ek" => "KCRYPTPUSH_EK",
                    _ => variable,
                };
                Assert.True(text.Contains($"#{variable}=", StringComparison.Ordinal) || text.Contains($"#{variable}__0=", StringComparison.Ordinal)
                    || text.Contains($"#{alias}=", StringComparison.Ordinal),
                    $"packaging/{role}.env does not name {key} ({variable} or {alias})");
            }
        }
    }

    [PackagingFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void The_discovery_wrapper_reads_the_env_file_of_its_own_root_as_systemd_does()
    {
        // A root such as /sysroot in the initramfs: the relative link resolves inside it.
        string root = Directory.CreateTempSubdirectory("kcrypt-push-sysroot-").FullName;
        try
        {
            string lib = Path.Combine(root, "usr", "lib", "kcrypt-push", "agent");
            Directory.CreateDirectory(lib);
            Directory.CreateDirectory(Path.Combine(root, "system", "discovery"));
            Directory.CreateDirectory(Path.Combine(root, "etc", "kcrypt-push"));
            File.Copy(Path.Combine(RepoPaths.Root, "packaging", "kcrypt-discovery-kcrypt-push"), Path.Combine(lib, "kcrypt-discovery-kcrypt-push"));
            File.WriteAllText(Path.Combine(lib, "kcrypt-push-agent"), "#!/bin/sh\nenv | grep '^KCRYPTPUSH_' | sort\necho \"args: $*\"\necho \"stdin: $(cat)\"\n");
            File.SetUnixFileMode(Path.Combine(lib, "kcrypt-push-agent"), (UnixFileMode)0x1ED);
            File.SetUnixFileMode(Path.Combine(lib, "kcrypt-discovery-kcrypt-push"), (UnixFileMode)0x1ED);
            File.CreateSymbolicLink(Path.Combine(root, "system", "discovery", "kcrypt-discovery-kcrypt-push"), "../../usr/lib/kcrypt-push/agent/kcrypt-discovery-kcrypt-push");
            File.WriteAllText(Path.Combine(root, "etc", "kcrypt-push", "agent.env"), """
                # comment
                  ; another comment
                KCRYPTPUSH_BROKER=amqp://agent:pa$$word`x`@10.0.0.1:5672/
                KCRYPTPUSH_TPM="swtpm:127.0.0.1:2321"
                KCRYPTPUSH_INTERVAL = '30s'
                KCRYPTPUSH_EVENT_LOG=/sys/kernel/security/tpm0/binary_bios_measurements  
                not a setting
                9BAD=1
                """);

            ProcessResult r = ProcessRunner.Run("/usr/bin/env", ["-i", "PATH=/usr/bin:/bin",
                Path.Combine(root, "system", "discovery", "kcrypt-discovery-kcrypt-push"), "discovery.password"], stdin: "{\"data\":\"{}\"}");

            Assert.True(r.ExitCode == 0, r.StdErr);
            Assert.Equal(
                [
                    "KCRYPTPUSH_BROKER=amqp://agent:pa$$word`x`@10.0.0.1:5672/",
                    "KCRYPTPUSH_EVENT_LOG=/sys/kernel/security/tpm0/binary_bios_measurements",
                    "KCRYPTPUSH_INTERVAL=30s",
                    "KCRYPTPUSH_TPM=swtpm:127.0.0.1:2321",
                    "args: discovery.password",
                    "stdin: {\"data\":\"{}\"}",
                ],
                r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static IEnumerable<string> Keys(JsonElement e, string? prefix)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            yield return prefix!;
            yield break;
        }

        foreach (JsonProperty p in e.EnumerateObject())
        {
            foreach (string k in Keys(p.Value, prefix is null ? p.Name : $"{prefix}:{p.Name}"))
            {
                yield return k;
            }
        }
    }
}
