using System.Security.Cryptography;
using System.Text;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Tests.EventLog;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.BootPolicy;

/// <summary>
/// What decides what runs (issue 9 item 2): a policy made from a real log pins the kernel command line
/// (systemd-boot on PCR 12, GRUB on PCR 8) and the boot configuration PCR by PCR, and a log whose
/// command line changed (data and digest consistent, as a boot with that command line logs it) fails
/// the kernel-command-line rule naming the event.
/// </summary>
[Trait("Category", "Unit")]
public sealed class KernelCommandLinePolicyTests
{
    private const string Fedora = "qemu-fedora37-sdboot";
    private const string Grub = "gcp-ubuntu2104-nosb";
    private const string FedoraCommandLine = " console=ttyS0 console=tty0 efi=debug ";
    private const ushort Sha256 = (ushort)TpmAlgId.Sha256;

    private static ParsedEventLog Parse(byte[] bytes) => EventLogParser.Parse(bytes);

    private static MeasuredBootPolicy PolicyOf(string name) => BootPolicyFactory.Create(Parse(SharedLogs.Bytes(name)));

    /// <summary>The index of the first EV_IPL on <paramref name="pcr"/> whose data contains <paramref name="text"/>.</summary>
    private static int IndexOf(string name, uint pcr, string text, bool utf16) =>
        Parse(SharedLogs.Bytes(name)).UntrustedEvents.First(e => e.EventType == TcgEventType.EV_IPL && e.PcrIndex == pcr
            && (utf16 ? Encoding.Unicode : Encoding.ASCII).GetString(e.Data.Span).Contains(text, StringComparison.Ordinal)).Index;

    /// <summary>What GRUB hashes for "kernel_cmdline: TEXT\0": TEXT.</summary>
    private static byte[] GrubMeasured(string data) => Encoding.ASCII.GetBytes(data["kernel_cmdline: ".Length..].TrimEnd('\0'));

    [Fact]
    public void Fedora_systemd_boot_policy_pins_its_command_line_on_pcr_12_and_passes_its_log()
    {
        ParsedEventLog log = Parse(SharedLogs.Bytes(Fedora));
        MeasuredBootPolicy p = BootPolicyFactory.Create(log);

        KernelCommandLineExpectation line = p.KernelCommandLine!;
        Assert.False(line.IsAbsent);
        Assert.Equal([FedoraCommandLine], line.Values);
        Assert.Equal("62cc3c5f754ef8711f11140d0ed199e1b36b9bdac7df0c261498f2b07d0f91eb", Convert.ToHexStringLower(Assert.Single(line.Allowed!.For(Sha256))));
        Assert.Equal(BootConfigExpectation.DefaultPcrs, p.BootConfig!.Select(c => c.Pcr));
        BootConfigExpectation pcr9 = p.BootConfig!.Single(c => c.Pcr == 9);
        Assert.True(pcr9.Required); // the initrd (EV_EVENT_TAG "Linux initrd")
        BootConfigExpectation pcr12 = p.BootConfig!.Single(c => c.Pcr == 12);
        Assert.False(pcr12.Required); // both PCR 12 events are the command line, judged by its own rule
        Assert.Empty(pcr12.Allowed.For(Sha256));

        BootPolicyEvaluation e = BootPolicyEvaluator.Evaluate(p, log.SelfReplayed());
        Assert.True(e.Passed);
        Assert.Equal(RuleStatus.Passed, e.Results.Single(r => r.Rule == BootPolicyRules.KernelCommandLine).Status);
        Assert.Equal(RuleStatus.Passed, e.Results.Single(r => r.Rule == BootPolicyRules.BootConfig).Status);
    }

    [Fact]
    public void Changed_kernel_command_line_fails_the_fedora_policy_naming_the_rule_and_the_event()
    {
        int index = IndexOf(Fedora, 12, "ttyS0", utf16: true);
        byte[] altered = LogEdits.ReplaceText(SharedLogs.Bytes(Fedora), index, "ttyS0", "ttyS1", utf16: true);
        ParsedEventLog log = Parse(altered);
        UntrustedEvent edited = log.UntrustedEvents[index];

        // The event is consistent: its digest is the hash of the text it shows (what a boot with that command line logs).
        Assert.True(KernelCommandLine.TryRead(edited, [Sha256], out KernelCommandLine? line));
        Assert.Equal(" console=ttyS1 console=tty0 efi=debug ", line.Text);
        Assert.Equal(SHA256.HashData(edited.Data.Span), edited.Digests.Single().Digest.ToArray());

        RuleResult r = Assert.Single(BootPolicyEvaluator.Evaluate(PolicyOf(Fedora), log.SelfReplayed()).Failures);
        Assert.Equal(BootPolicyRules.KernelCommandLine, r.Rule);
        Assert.Equal((index, 12u, "EV_IPL", edited.Offset), (r.Event!.Index, r.Event.Pcr, r.Event.Type, r.Event.Offset));
        Assert.Contains($"\"{FedoraCommandLine}\"", r.Expected, StringComparison.Ordinal);
        Assert.Contains("console=ttyS1", r.Found, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(edited.Data.Span)), r.Found, StringComparison.Ordinal);
        Assert.StartsWith($"kernel-command-line: expected an allowed kernel command line", r.Message, StringComparison.Ordinal);
        Assert.EndsWith($"at event #{index} (PCR 12, EV_IPL, byte offset {edited.Offset})", r.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Changed_grub_kernel_command_line_fails_naming_the_rule_and_the_pcr_8_event()
    {
        int index = IndexOf(Grub, 8, "kernel_cmdline: ", utf16: false);
        byte[] altered = LogEdits.ReplaceText(SharedLogs.Bytes(Grub), index, "panic=-1", "panic=-1 init=/bin/sh", utf16: false, GrubMeasured);
        ParsedEventLog log = Parse(altered);
        Assert.True(KernelCommandLine.TryRead(log.UntrustedEvents[index], [(ushort)TpmAlgId.Sha1, Sha256, (ushort)TpmAlgId.Sha384], out KernelCommandLine? line));
        Assert.Equal("grub", line.Form);

        RuleResult r = Assert.Single(BootPolicyEvaluator.Evaluate(PolicyOf(Grub), log.SelfReplayed()).Failures);
        Assert.Equal(BootPolicyRules.KernelCommandLine, r.Rule);
        Assert.Equal((index, 8u), (r.Event!.Index, r.Event.Pcr));
        Assert.Contains("init=/bin/sh", r.Found, StringComparison.Ordinal);
        Assert.True(BootPolicyEvaluator.Evaluate(PolicyOf(Grub), Parse(SharedLogs.Bytes(Grub)).SelfReplayed()).Passed);
    }

    [Fact]
    public void No_kernel_command_line_where_the_known_good_log_had_one_fails()
    {
        // systemd-boot: both PCR 12 events gone (a command line no longer measured, or left out of the log).
        ParsedEventLog fedora = Parse(LogEdits.Remove(SharedLogs.Bytes(Fedora), e => e.PcrIndex == 12));
        RuleResult r = Assert.Single(BootPolicyEvaluator.Evaluate(PolicyOf(Fedora), fedora.SelfReplayed()).Failures);
        Assert.Equal(BootPolicyRules.KernelCommandLine, r.Rule);
        Assert.Null(r.Event);
        Assert.Contains(FedoraCommandLine, r.Expected, StringComparison.Ordinal);

        // GRUB: every PCR 8 event gone.
        ParsedEventLog grub = Parse(LogEdits.Remove(SharedLogs.Bytes(Grub), e => e.PcrIndex == 8));
        List<RuleResult> failures = BootPolicyEvaluator.Evaluate(PolicyOf(Grub), grub.SelfReplayed()).Failures.ToList();
        Assert.Equal([BootPolicyRules.KernelCommandLine, BootPolicyRules.BootConfigMissing], failures.Select(f => f.Rule));
        Assert.All(failures, f => Assert.Null(f.Event));
        Assert.Equal("none on PCR 8", failures[1].Found);
    }

    [Fact]
    public void A_command_line_whose_text_was_edited_without_its_digest_is_not_taken_for_one()
    {
        int index = IndexOf(Fedora, 12, "ttyS0", utf16: true);
        byte[] data = Encoding.Unicode.GetBytes(FedoraCommandLine.Replace("ttyS0", "ttyS1", StringComparison.Ordinal) + "\0");
        ParsedEventLog log = Parse(LogEdits.ReplaceData(SharedLogs.Bytes(Fedora), index, data, keepDigests: true));
        Assert.False(KernelCommandLine.TryRead(log.UntrustedEvents[index], [Sha256], out _));

        // Its digest is judged among PCR 12's other events, where nothing is allowed.
        RuleResult r = Assert.Single(BootPolicyEvaluator.Evaluate(PolicyOf(Fedora), log.SelfReplayed()).Failures);
        Assert.Equal((BootPolicyRules.BootConfig, index, 12u), (r.Rule, r.Event!.Index, r.Event.Pcr));
        Assert.Equal("no event on PCR 12", r.Expected);
    }

    [Fact]
    public void Uki_sections_credentials_and_extensions_where_the_known_good_log_had_none_fail_boot_config()
    {
        byte[] bytes = SharedLogs.Bytes(Fedora);
        bytes = LogEdits.Append(bytes, 11, TcgEventType.EV_IPL, Encoding.Unicode.GetBytes(".cmdline\0"), "init=/bin/sh"u8.ToArray());
        bytes = LogEdits.Append(bytes, 12, TcgEventType.EV_IPL, Encoding.Unicode.GetBytes("Credentials initrd\0"), "cpio"u8.ToArray());
        bytes = LogEdits.Append(bytes, 13, TcgEventType.EV_IPL, Encoding.Unicode.GetBytes("System extension initrd\0"), "sysext"u8.ToArray());
        ParsedEventLog log = Parse(bytes);

        List<RuleResult> failures = BootPolicyEvaluator.Evaluate(PolicyOf(Fedora), log.SelfReplayed()).Failures.ToList();
        Assert.Equal([11u, 12u, 13u], failures.Select(f => f.Event!.Pcr));
        Assert.All(failures, f => Assert.Equal(BootPolicyRules.BootConfig, f.Rule));
        Assert.Equal(Enumerable.Range(log.UntrustedEvents.Count - 3, 3), failures.Select(f => f.Event!.Index));
        Assert.Contains(".cmdline", failures[0].Found, StringComparison.Ordinal);
    }

    [Fact]
    public void Grub_commands_files_and_mok_state_are_pinned_pcr_by_pcr()
    {
        byte[] original = SharedLogs.Bytes(Grub);
        ParsedEventLog log = Parse(original);
        MeasuredBootPolicy policy = PolicyOf(Grub);

        // A different grub.cfg (PCR 9: the files GRUB reads).
        int cfg = log.UntrustedEvents.First(e => e.PcrIndex == 9 && e.EventType == TcgEventType.EV_IPL).Index;
        RuleResult file = Assert.Single(BootPolicyEvaluator.Evaluate(policy,
            Parse(LogEdits.ReplaceData(original, cfg, log.UntrustedEvents[cfg].Data.ToArray(), "another grub.cfg"u8.ToArray())).SelfReplayed()).Failures);
        Assert.Equal((BootPolicyRules.BootConfig, cfg, 9u), (file.Rule, file.Event!.Index, file.Event.Pcr));

        // Another MokList (PCR 14: shim's machine owner keys).
        int mok = log.UntrustedEvents.First(e => e.PcrIndex == 14).Index;
        RuleResult keys = Assert.Single(BootPolicyEvaluator.Evaluate(policy,
            Parse(LogEdits.ReplaceData(original, mok, log.UntrustedEvents[mok].Data.ToArray(), "another MOK"u8.ToArray())).SelfReplayed()).Failures);
        Assert.Equal((BootPolicyRules.BootConfig, mok, 14u), (keys.Rule, keys.Event!.Index, keys.Event.Pcr));

        // A digest allowed on PCR 9 is not allowed on PCR 8: the sets are per PCR.
        UntrustedEvent pcr9 = log.UntrustedEvents[cfg];
        byte[] copied = LogEdits.Append(original, 8, TcgEventType.EV_IPL, pcr9.Data.ToArray(), digestsOf: pcr9);
        RuleResult wrongPcr = Assert.Single(BootPolicyEvaluator.Evaluate(policy, Parse(copied).SelfReplayed()).Failures);
        Assert.Equal((BootPolicyRules.BootConfig, log.UntrustedEvents.Count, 8u), (wrongPcr.Rule, wrongPcr.Event!.Index, wrongPcr.Event.Pcr));
    }

    [Fact]
    public void Older_systemd_boot_command_line_on_pcr_8_is_recognised_with_its_short_utf16_data()
    {
        const string name = "desktop-arch-sdboot";
        MeasuredBootPolicy policy = PolicyOf(name);
        Assert.StartsWith("initrd=\\intel-ucode.img initrd=\\initramfs-linux-lts.img", Assert.Single(policy.KernelCommandLine!.Values), StringComparison.Ordinal);

        // The logged data is one byte short of the UTF-16 NUL that systemd-boot hashed (365 bytes).
        byte[] original = SharedLogs.Bytes(name);
        int index = IndexOf(name, 8, "rw", utf16: true);
        byte[] data = Parse(original).UntrustedEvents[index].Data.ToArray();
        Assert.Equal(1, data.Length % 2);
        int at = data.AsSpan().IndexOf(Encoding.Unicode.GetBytes(" rw "));
        Encoding.Unicode.GetBytes(" ro ").CopyTo(data, at);
        byte[] altered = LogEdits.ReplaceData(original, index, data, measured: [.. data, 0]);
        RuleResult r = Assert.Single(BootPolicyEvaluator.Evaluate(policy, Parse(altered).SelfReplayed()).Failures);
        Assert.Equal((BootPolicyRules.KernelCommandLine, index, 8u), (r.Rule, r.Event!.Index, r.Event.Pcr));
    }

    [Fact]
    public void Pcrs_read_are_those_of_the_rules_in_the_policy()
    {
        ParsedEventLog log = Parse(SharedLogs.Bytes(Fedora));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14], BootPolicyEvaluator.PcrsRead(BootPolicyFactory.Create(log), log.SelfReplayed()));
        Assert.Equal([7], BootPolicyEvaluator.PcrsRead(new MeasuredBootPolicy { Banks = [Sha256], SecureBoot = SecureBootState.Disabled }, log.SelfReplayed()));
        Assert.Equal([8, 12], BootPolicyEvaluator.PcrsRead(new MeasuredBootPolicy { Banks = [Sha256], KernelCommandLine = KernelCommandLineExpectation.Absent() }, log.SelfReplayed()));
        Assert.Empty(BootPolicyEvaluator.PcrsRead(new MeasuredBootPolicy { Banks = [Sha256] }, log.SelfReplayed()));
    }

    [Fact]
    public void Kernel_command_line_absent_fails_when_one_is_measured()
    {
        var policy = new MeasuredBootPolicy { Banks = [Sha256], KernelCommandLine = KernelCommandLineExpectation.Absent() };
        ParsedEventLog log = Parse(SharedLogs.Bytes(Fedora));
        List<RuleResult> failures = BootPolicyEvaluator.Evaluate(policy, log.SelfReplayed()).Failures.ToList();
        Assert.Equal(2, failures.Count);
        Assert.All(failures, f => Assert.Equal((BootPolicyRules.KernelCommandLine, 12u), (f.Rule, f.Event!.Pcr)));
        Assert.True(BootPolicyEvaluator.Evaluate(policy, Parse(SharedLogs.Bytes("shim-sb-certs")).SelfReplayed()).Passed);
    }
}
