using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Tests.EventLog;

namespace KcryptPush.Attestation.Tests.BootPolicy;

/// <summary>
/// Issue 9 item 2's check through the real command line: <c>policy create --from-log</c> on the Fedora
/// systemd-boot log and on a GRUB log, then <c>policy run</c> on the same log (pass) and on the log with
/// the kernel command line changed, data and digest consistently (fail, naming the rule and the event).
/// </summary>
[Trait("Category", "Unit")]
public sealed class KernelCommandLineCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcrypt-cmdline-cli").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Create(string log)
    {
        string output = Path.Combine(_dir, Path.GetFileNameWithoutExtension(log) + ".policy.json");
        (int code, string stdout, string stderr) = CliRunner.Run("policy", "create", "--from-log", log, "--output", output);
        Assert.True(code == 0, stderr);
        Assert.Contains("kernel command line \"", stdout, StringComparison.Ordinal);
        return output;
    }

    private static int IndexOf(byte[] log, uint pcr, Func<string, bool> text, Encoding encoding) =>
        EventLogParser.Parse(log).UntrustedEvents.First(e => e.EventType == TcgEventType.EV_IPL && e.PcrIndex == pcr && text(encoding.GetString(e.Data.Span))).Index;

    [Fact]
    public void Fedora_systemd_boot_policy_fails_a_changed_kernel_command_line_naming_the_rule_and_the_event()
    {
        string log = SharedLogs.BinPath("qemu-fedora37-sdboot");
        string policy = Create(log);
        Assert.Equal((0, "pass\n", ""), CliRunner.Run("policy", "run", "--log", log, "--policy", policy));

        byte[] bytes = SharedLogs.Bytes("qemu-fedora37-sdboot");
        int index = IndexOf(bytes, 12, t => t.Contains("console=ttyS0", StringComparison.Ordinal), Encoding.Unicode);
        byte[] altered = LogEdits.ReplaceText(bytes, index, "efi=debug", "efi=nodbg", utf16: true);
        UntrustedEvent e = EventLogParser.Parse(altered).UntrustedEvents[index];
        Assert.Equal(SHA256.HashData(e.Data.Span), e.Digests.Single().Digest.ToArray()); // the event's own digest is consistent

        (int code, string stdout, string stderr) = CliRunner.Run("policy", "run", "--log", Write("fedora-cmdline.bin", altered), "--policy", policy);
        Assert.Equal((1, ""), (code, stderr));
        string line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));
        Assert.StartsWith("  kernel-command-line: expected an allowed kernel command line: \" console=ttyS0 console=tty0 efi=debug \"", line, StringComparison.Ordinal);
        Assert.Contains("found \" console=ttyS0 console=tty0 efi=nodbg \"", line, StringComparison.Ordinal);
        Assert.EndsWith($"at event #{index} (PCR 12, EV_IPL, byte offset {e.Offset})", line, StringComparison.Ordinal);

        (int jsonCode, string json, _) = CliRunner.Run("policy", "run", "--log", Write("fedora-cmdline.bin", altered), "--policy", policy, "--json");
        Assert.Equal(1, jsonCode);
        JsonElement failed = JsonDocument.Parse(json).RootElement.GetProperty("results").EnumerateArray().Single(r => r.GetProperty("status").GetString() == "failed");
        Assert.Equal("kernel-command-line", failed.GetProperty("rule").GetString());
        Assert.Equal((index, 12), (failed.GetProperty("event").GetProperty("index").GetInt32(), failed.GetProperty("event").GetProperty("pcr").GetInt32()));
    }

    [Fact]
    public void Grub_policy_fails_a_changed_kernel_command_line_on_pcr_8_naming_the_rule_and_the_event()
    {
        const string name = "gcp-ubuntu2104-nosb";
        string log = SharedLogs.BinPath(name);
        string policy = Create(log);
        Assert.Equal((0, "pass\n", ""), CliRunner.Run("policy", "run", "--log", log, "--policy", policy));

        byte[] bytes = SharedLogs.Bytes(name);
        int index = IndexOf(bytes, 8, t => t.StartsWith("kernel_cmdline: ", StringComparison.Ordinal), Encoding.ASCII);
        byte[] altered = LogEdits.ReplaceText(bytes, index, "console=ttyS0", "console=ttyS1", utf16: false,
            t => Encoding.ASCII.GetBytes(t["kernel_cmdline: ".Length..].TrimEnd('\0')));
        int offset = EventLogParser.Parse(altered).UntrustedEvents[index].Offset;

        (int code, string stdout, _) = CliRunner.Run("policy", "run", "--log", Write("grub-cmdline.bin", altered), "--policy", policy);
        Assert.Equal(1, code);
        string line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));
        Assert.StartsWith("  kernel-command-line: expected an allowed kernel command line: \"/boot/vmlinuz-5.11.0-1006-gcp ", line, StringComparison.Ordinal);
        Assert.Contains("console=ttyS1 panic=-1\"", line, StringComparison.Ordinal);
        Assert.EndsWith($"at event #{index} (PCR 8, EV_IPL, byte offset {offset})", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_on_every_shared_log_pins_the_boot_configuration_and_passes_that_log()
    {
        foreach (string name in SharedLogs.Names())
        {
            string output = Path.Combine(_dir, name + ".json");
            (int code, _, string stderr) = CliRunner.Run("policy", "create", "--from-log", SharedLogs.BinPath(name), "--output", output);
            Assert.True(code == 0, $"{name}: {stderr}");
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(output));
            Assert.Equal([8, 9, 11, 12, 13, 14], doc.RootElement.GetProperty("bootConfig").EnumerateArray().Select(c => c.GetProperty("pcr").GetInt32()));
            Assert.Equal(JsonValueKind.Object, doc.RootElement.GetProperty("kernelCommandLine").ValueKind);
            Assert.Equal(0, CliRunner.Run("policy", "run", "--log", SharedLogs.BinPath(name), "--policy", output).ExitCode);
        }
    }
}
