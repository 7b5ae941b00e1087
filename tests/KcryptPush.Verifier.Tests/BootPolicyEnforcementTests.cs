using System.Text;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Findings;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Types;
using KcryptPush.Verifier.Policies;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// The measured-boot policy as the verifier applies it (issue 9 item 2): to real logs replayed against the
/// PCR values a TPM that measured them quotes; the node's own policy or the fleet default; every PCR a rule
/// reads quoted and replayed, so a log that leaves events out, or carries an event without a digest for a
/// quoted bank, fails with its own reason instead of leaving the rules nothing to object to.
/// </summary>
[Trait("Category", "Unit")]
public sealed class BootPolicyEnforcementTests
{
    private const string Fedora = "qemu-fedora37-sdboot";
    private const string Grub = "gcp-ubuntu2104-nosb";

    private static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(RepoPaths.EventLogs, name + ".bin"));

    private static MeasuredBootPolicy PolicyOf(string name) => BootPolicyFactory.Create(EventLogParser.Parse(Bytes(name)));

    private static readonly DefaultBootPolicy FedoraDefault = new(PolicyOf(Fedora), "/etc/kcrypt-push/fedora.policy.json", new string('0', 64));

    /// <summary>What the pipeline gives the policy for <paramref name="log"/> quoted as <paramref name="quoted"/>.</summary>
    private static PolicyContext Context(byte[] log, IReadOnlyDictionary<string, IReadOnlyDictionary<int, byte[]>> quoted, string? nodePolicy = null) => new()
    {
        Node = new NodeAttestation { TpmHash = new string('a', 64), BootPolicyJson = nodePolicy },
        EnrolledAkName = new byte[34],
        QuotedPcrs = quoted,
        Log = BootLogEdits.Verify(log, quoted),
        Now = new DateTime(2025, 6, 1, 12, 0, 0, DateTimeKind.Utc),
    };

    /// <summary>The log and the quote of a boot that measured it (sha256 only: the Fedora log's one bank).</summary>
    private static PolicyContext Booted(byte[] log, string? nodePolicy = null, params string[] banks) =>
        Context(log, BootLogEdits.QuoteOf(log, banks.Length == 0 ? ["sha256"] : banks), nodePolicy);

    private static int IndexOf(byte[] log, uint pcr, string text, Encoding encoding) =>
        EventLogParser.Parse(log).UntrustedEvents.First(e => e.EventType == TcgEventType.EV_IPL && e.PcrIndex == pcr
            && encoding.GetString(e.Data.Span).Contains(text, StringComparison.Ordinal)).Index;

    private static byte[] FedoraWithOtherCommandLine(out int index)
    {
        byte[] log = Bytes(Fedora);
        index = IndexOf(log, 12, "ttyS0", Encoding.Unicode);
        return BootLogEdits.ReplaceText(log, index, "ttyS0", "ttyS1", utf16: true);
    }

    [Fact]
    public void A_boot_with_another_kernel_command_line_fails_the_fedora_policy_naming_the_rule_and_the_event()
    {
        string policy = BootPolicyJson.Write(PolicyOf(Fedora));
        Assert.Empty(new MeasuredBootNodePolicy().Evaluate(Booted(Bytes(Fedora), policy)).Failures);

        byte[] altered = FedoraWithOtherCommandLine(out int index);
        PolicyDecision d = new MeasuredBootNodePolicy().Evaluate(Booted(altered, policy));
        AttestationReason r = Assert.Single(d.Failures);
        Assert.Equal(AttestationReasonCodes.BootPolicyViolation, r.Code);
        Assert.StartsWith("kernel-command-line: expected an allowed kernel command line: \" console=ttyS0 console=tty0 efi=debug \"", r.Message, StringComparison.Ordinal);
        Assert.Contains($"at event #{index} (PCR 12, EV_IPL, byte offset ", r.Message, StringComparison.Ordinal);
        Assert.Equal((index, 12u, "EV_IPL"), (d.FirstBrokenEvent!.Index, d.FirstBrokenEvent.Pcr, d.FirstBrokenEvent.EventType));
        Assert.Contains("kernel-command-line: expected", d.FirstBrokenEvent.Description, StringComparison.Ordinal);
        Assert.Contains("console=ttyS1", d.FirstBrokenEvent.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_grub_boot_with_another_kernel_command_line_fails_naming_the_pcr_8_event()
    {
        byte[] log = Bytes(Grub);
        string policy = BootPolicyJson.Write(PolicyOf(Grub));
        Assert.Empty(new MeasuredBootNodePolicy().Evaluate(Booted(log, policy, "sha1", "sha256")).Failures);

        int index = IndexOf(log, 8, "kernel_cmdline: ", Encoding.ASCII);
        byte[] altered = BootLogEdits.ReplaceText(log, index, " ro ", " rw ", utf16: false,
            t => Encoding.ASCII.GetBytes(t["kernel_cmdline: ".Length..].TrimEnd('\0')));
        PolicyDecision d = new MeasuredBootNodePolicy().Evaluate(Booted(altered, policy, "sha1", "sha256"));
        AttestationReason r = Assert.Single(d.Failures);
        Assert.StartsWith("kernel-command-line: ", r.Message, StringComparison.Ordinal);
        Assert.Contains($"at event #{index} (PCR 8, EV_IPL", r.Message, StringComparison.Ordinal);
        Assert.Equal((index, 8u), (d.FirstBrokenEvent!.Index, d.FirstBrokenEvent.Pcr));
    }

    [Theory]
    [InlineData(12u)] // the kernel command line
    [InlineData(9u)]  // the initrd
    [InlineData(7u)]  // the Secure Boot state and databases
    [InlineData(4u)]  // the boot attempt and separator
    public void A_log_that_leaves_out_the_events_of_a_pcr_the_policy_reads_fails_with_its_own_reason(uint pcr)
    {
        // The TPM measured the genuine boot; the log sent leaves out one PCR's events, which replay cannot see
        // (it checks the PCRs a log extends).
        byte[] genuine = Bytes(Fedora);
        byte[] partial = BootLogEdits.Remove(genuine, e => e.PcrIndex == pcr);
        PolicyContext context = Context(partial, BootLogEdits.QuoteOf(genuine, "sha256"), BootPolicyJson.Write(PolicyOf(Fedora)));
        Assert.True(context.Log!.Replay.Succeeded);

        IReadOnlyList<Finding> findings = MeasuredBootNodePolicy.Check(PolicyOf(Fedora), context.Log, context.QuotedPcrs, out BootPolicyEvaluation? evaluation);
        Finding f = Assert.Single(findings);
        Assert.Equal(MeasuredBootNodePolicy.PcrNotReplayed, f.Code);
        Assert.StartsWith($"PCR sha256:{pcr}: the log has no sha256 events for it, but the TPM quoted ", f.Message, StringComparison.Ordinal);
        Assert.Null(evaluation);

        PolicyDecision d = new MeasuredBootNodePolicy().Evaluate(context);
        Assert.Equal((AttestationReasonCodes.BootPolicyViolation, f.Message), (Assert.Single(d.Failures).Code, d.Failures[0].Message));
    }

    [Fact]
    public void No_kernel_command_line_measured_where_the_known_good_boot_had_one_fails_the_rule()
    {
        // A boot that measured nothing on PCR 12 (quoted at its reset value): proven empty, and the rule wants a command line.
        byte[] none = BootLogEdits.Remove(Bytes(Fedora), e => e.PcrIndex == 12);
        PolicyContext context = Booted(none, BootPolicyJson.Write(PolicyOf(Fedora)));
        Assert.Equal(new byte[32], context.QuotedPcrs["sha256"][12]);
        PolicyDecision d = new MeasuredBootNodePolicy().Evaluate(context);
        AttestationReason r = Assert.Single(d.Failures);
        Assert.StartsWith("kernel-command-line: expected a kernel command line on PCR 8 (GRUB) or 12", r.Message, StringComparison.Ordinal);
        Assert.Null(d.FirstBrokenEvent);
    }

    [Fact]
    public void An_event_without_a_digest_for_a_quoted_bank_fails_naming_the_event()
    {
        // A GRUB command with no sha1 digest: sha1 replay skips it, so nothing binds it there, yet the quote matches.
        byte[] log = Bytes(Grub);
        int index = IndexOf(log, 8, "grub_cmd: ", Encoding.ASCII);
        byte[] forged = BootLogEdits.DropDigest(log, index, (ushort)TpmAlgId.Sha1);
        PolicyContext context = Booted(forged, BootPolicyJson.Write(PolicyOf(Grub)), "sha1", "sha256");
        Assert.True(context.Log!.Replay.Succeeded);

        PolicyDecision d = new MeasuredBootNodePolicy().Evaluate(context);
        AttestationReason r = Assert.Single(d.Failures);
        Assert.Equal(AttestationReasonCodes.BootPolicyViolation, r.Code);
        Assert.StartsWith($"event #{index} (PCR 8, EV_IPL, byte offset ", r.Message, StringComparison.Ordinal);
        Assert.Contains("no sha1 digest although that bank was quoted and replayed", r.Message, StringComparison.Ordinal);
        Assert.Equal(index, d.FirstBrokenEvent!.Index);

        IReadOnlyList<Finding> findings = MeasuredBootNodePolicy.Check(PolicyOf(Grub), context.Log, context.QuotedPcrs, out _);
        Assert.Equal(MeasuredBootNodePolicy.EventMissingDigest, Assert.Single(findings).Code);
    }

    [Fact]
    public void A_pcr_the_policy_reads_that_the_quote_does_not_cover_fails()
    {
        byte[] log = Bytes(Fedora);
        Dictionary<string, IReadOnlyDictionary<int, byte[]>> quoted = BootLogEdits.QuoteOf(log, "sha256");
        quoted["sha256"] = quoted["sha256"].Where(kv => kv.Key != 11).ToDictionary(kv => kv.Key, kv => kv.Value);
        IReadOnlyList<Finding> findings = MeasuredBootNodePolicy.Check(PolicyOf(Fedora), BootLogEdits.Verify(log, quoted), quoted, out _);
        Finding f = Assert.Single(findings);
        Assert.Equal(MeasuredBootNodePolicy.PcrNotQuoted, f.Code);
        Assert.StartsWith("PCR sha256:11: ", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_fleet_default_applies_to_nodes_without_their_own_and_a_nodes_own_replaces_it()
    {
        var policy = new MeasuredBootNodePolicy(FedoraDefault);
        byte[] altered = FedoraWithOtherCommandLine(out int index);

        // No policy of its own: the default judges, and says so.
        Assert.Empty(policy.Evaluate(Booted(Bytes(Fedora))).Failures);
        PolicyDecision byDefault = policy.Evaluate(Booted(altered));
        AttestationReason r = Assert.Single(byDefault.Failures);
        Assert.Equal(AttestationReasonCodes.BootPolicyViolation, r.Code);
        Assert.StartsWith("kernel-command-line: ", r.Message, StringComparison.Ordinal);
        Assert.EndsWith(" (fleet default boot policy)", r.Message, StringComparison.Ordinal);
        Assert.Equal(index, byDefault.FirstBrokenEvent!.Index);

        // Its own policy (made from a boot with only the other command line) replaces the default, both ways.
        byte[] other = BootLogEdits.ReplaceText(altered, index + 1, "ttyS0", "ttyS1", utf16: true);
        string own = BootPolicyJson.Write(BootPolicyFactory.Create(EventLogParser.Parse(other)));
        Assert.Empty(policy.Evaluate(Booted(other, own)).Failures);
        List<AttestationReason> ownFailures = policy.Evaluate(Booted(Bytes(Fedora), own)).Failures;
        Assert.Equal(2, ownFailures.Count); // both command line events of the genuine boot
        Assert.All(ownFailures, f => Assert.DoesNotContain("fleet default", f.Message, StringComparison.Ordinal));

        // Without a default, a node without a policy is not checked.
        Assert.Empty(new MeasuredBootNodePolicy().Evaluate(Booted(altered)).Failures);
        Assert.Same(FedoraDefault, policy.Default);
    }
}
