using System.Security.Cryptography;
using System.Text;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;
using KcryptPush.Attestation.Tests.EventLog;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.BootPolicy;

[Trait("Category", "Unit")]
public sealed class BootPolicyEvaluatorTests
{
    private const ushort Sha1 = (ushort)TpmAlgId.Sha1;
    private const ushort Sha256 = (ushort)TpmAlgId.Sha256;

    private static MeasuredBootPolicy PolicyOf(BootLogBuilder b, BootPolicyOptions? options = null) =>
        BootPolicyFactory.Create(b.Parse(), options ?? new BootPolicyOptions());

    private static RuleResult SingleFailure(BootPolicyEvaluation e) => Assert.Single(e.Failures);

    private static UntrustedEvent EventOf(ParsedEventLog log, Func<UntrustedEvent, bool> match) => log.UntrustedEvents.Single(match);

    [Fact]
    public void Policy_from_a_log_passes_that_log_with_every_rule_passed_or_skipped_for_ipl()
    {
        ParsedEventLog log = BootLogBuilder.Typical().Parse();
        BootPolicyEvaluation e = BootPolicyEvaluator.Evaluate(BootPolicyFactory.Create(log), log.SelfReplayed());
        Assert.True(e.Passed);
        Assert.Equal(RuleStatus.Skipped, e.Results.Single(r => r.Rule == BootPolicyRules.Ipl).Status);
        Assert.All(e.Results.Where(r => r.Rule != BootPolicyRules.Ipl), r => Assert.Equal(RuleStatus.Passed, r.Status));
    }

    [Fact]
    public void Factory_records_the_state_the_variables_and_the_stages_in_order()
    {
        MeasuredBootPolicy p = PolicyOf(BootLogBuilder.Typical());
        Assert.Equal([Sha256], p.Banks);
        Assert.Equal(SecureBootState.Enabled, p.SecureBoot);
        Assert.Equal(SHA256.HashData(Encoding.ASCII.GetBytes("grubx64.efi")), Assert.Single(p.BootApplications![1].Allowed.For(Sha256)));
        Assert.Equal(3, p.BootApplications.Count);
        Assert.Equal(8, p.Separators!.Count);
        byte[] pkData = BootLogBuilder.VariableData(KnownGuids.EfiGlobalVariable, "PK", Encoding.ASCII.GetBytes("pk-cert"));
        Assert.Equal(SHA256.HashData(pkData), Assert.Single(p.Variables[SecureBootVariable.PK].Allowed!.For(Sha256)));
        Assert.Null(p.Ipl);
    }

    [Fact]
    public void Sha1_only_log_gives_a_sha1_policy()
    {
        ParsedEventLog log = EventLogParser.Parse(SharedLogs.Bytes("gcp-windows-sha1log"));
        Assert.Equal([Sha1], BootPolicyFactory.Create(log).Banks);
    }

    [Theory]
    [InlineData((byte)0, "SecureBoot disabled")]
    [InlineData((byte)2, "SecureBoot disabled")]
    public void Secure_boot_required_fails_when_the_log_shows_another_value(byte value, string found)
    {
        MeasuredBootPolicy policy = PolicyOf(BootLogBuilder.Typical(secureBoot: 1));
        ParsedEventLog off = BootLogBuilder.Typical(secureBoot: value).Parse();
        RuleResult r = SingleFailure(BootPolicyEvaluator.Evaluate(policy, off.SelfReplayed()));
        Assert.Equal(BootPolicyRules.SecureBootState, r.Rule);
        Assert.StartsWith(found, r.Found, StringComparison.Ordinal);
        Assert.Equal(EventOf(off, x => x.Index == 1).Offset, r.Event!.Offset);
        Assert.Equal(7u, r.Event.Pcr);
    }

    [Fact]
    public void Secure_boot_variable_without_data_is_disabled()
    {
        ParsedEventLog log = new BootLogBuilder().SecureBoot(null).Parse();
        Assert.Equal(SecureBootState.Disabled, BootPolicyFactory.Create(log).SecureBoot);
    }

    [Fact]
    public void Secure_boot_data_not_covered_by_its_digest_fails_even_when_it_reads_enabled()
    {
        // Data says 01 but the digest is that of the 00 variable: replay would bind 00.
        byte[] disabled = BootLogBuilder.VariableData(KnownGuids.EfiGlobalVariable, "SecureBoot", [0]);
        ParsedEventLog forged = new BootLogBuilder().Variable(KnownGuids.EfiGlobalVariable, "SecureBoot", [1], measured: disabled).Parse();
        var policy = new MeasuredBootPolicy { Banks = [Sha256], SecureBoot = SecureBootState.Enabled };
        RuleResult r = SingleFailure(BootPolicyEvaluator.Evaluate(policy, forged.SelfReplayed()));
        Assert.Equal(BootPolicyRules.SecureBootState, r.Rule);
        Assert.Contains("neither", r.Found, StringComparison.Ordinal);
        Assert.Equal(1, r.Event!.Index);
    }

    [Fact]
    public void Secure_boot_digest_over_variable_data_only_is_accepted_as_older_firmware_did()
    {
        ParsedEventLog log = new BootLogBuilder().Variable(KnownGuids.EfiGlobalVariable, "SecureBoot", [1], measured: [1]).Parse();
        var policy = new MeasuredBootPolicy { Banks = [Sha1, Sha256], SecureBoot = SecureBootState.Enabled };
        Assert.True(BootPolicyEvaluator.Evaluate(policy, log.SelfReplayed()).Passed);
    }

    [Fact]
    public void Secure_boot_expected_but_not_measured_fails_without_an_event_and_the_reverse_names_the_event()
    {
        ParsedEventLog none = new BootLogBuilder().Separator(7).Parse();
        RuleResult r = SingleFailure(BootPolicyEvaluator.Evaluate(new MeasuredBootPolicy { Banks = [Sha256], SecureBoot = SecureBootState.Enabled }, none.SelfReplayed()));
        Assert.Contains("no SecureBoot measurement", r.Found, StringComparison.Ordinal);
        Assert.Null(r.Event);

        ParsedEventLog some = new BootLogBuilder().SecureBoot(0).Parse();
        r = SingleFailure(BootPolicyEvaluator.Evaluate(new MeasuredBootPolicy { Banks = [Sha256], SecureBoot = SecureBootState.NotMeasured }, some.SelfReplayed()));
        Assert.Equal(1, r.Event!.Index);
    }

    [Theory]
    [InlineData("PK", BootPolicyRules.PK)]
    [InlineData("KEK", BootPolicyRules.KEK)]
    [InlineData("db", BootPolicyRules.Db)]
    [InlineData("dbx", BootPolicyRules.Dbx)]
    public void Changed_secure_boot_database_fails_its_rule_naming_the_event(string variable, string rule)
    {
        MeasuredBootPolicy policy = PolicyOf(BootLogBuilder.Typical());
        var b = new BootLogBuilder().SecureBoot(1)
            .Pk(variable == "PK" ? "other" : "pk-cert").Kek(variable == "KEK" ? "other" : "kek-cert")
            .Db(variable == "db" ? "other" : "db-certs").Dbx(variable == "dbx" ? "other" : "dbx-hashes");
        ParsedEventLog log = b.Parse();
        BootPolicyEvaluation e = BootPolicyEvaluator.Evaluate(policy, log.SelfReplayed());
        RuleResult r = Assert.Single(e.Failures, f => f.Rule == rule);
        UntrustedEvent changed = log.UntrustedEvents.Single(x => x.Offset == r.Event!.Offset);
        Assert.Equal(7u, changed.PcrIndex);
        Assert.Contains(variable, EventDecoder.Decode(changed).Summary, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(changed.Digests[1].Digest.Span), r.Found, StringComparison.Ordinal);
    }

    [Fact]
    public void Alternative_digest_added_by_an_operator_is_accepted()
    {
        MeasuredBootPolicy policy = PolicyOf(BootLogBuilder.Typical());
        ParsedEventLog updated = new BootLogBuilder().SecureBoot(1).Pk("pk-cert").Kek("kek-cert").Db("db-certs").Dbx("dbx-2024").Parse();
        Assert.Contains(BootPolicyEvaluator.Evaluate(policy, updated.SelfReplayed()).Failures, f => f.Rule == BootPolicyRules.Dbx);

        byte[] newDbx = updated.UntrustedEvents[5].Digests[1].Digest.ToArray();
        policy.Variables[SecureBootVariable.Dbx].Allowed!.Add(Sha256, newDbx);
        Assert.DoesNotContain(BootPolicyEvaluator.Evaluate(policy, updated.SelfReplayed()).Failures, f => f.Rule == BootPolicyRules.Dbx);
    }

    [Fact]
    public void Dbx_recorded_absent_fails_when_a_log_measures_it_and_passes_when_it_does_not()
    {
        MeasuredBootPolicy policy = PolicyOf(new BootLogBuilder().SecureBoot(1).Pk("pk").Kek("kek").Db("db"));
        Assert.True(policy.Variables[SecureBootVariable.Dbx].IsAbsent);
        Assert.True(BootPolicyEvaluator.Evaluate(policy, new BootLogBuilder().SecureBoot(1).Pk("pk").Kek("kek").Db("db").Parse().SelfReplayed()).Passed);

        ParsedEventLog withDbx = new BootLogBuilder().SecureBoot(1).Pk("pk").Kek("kek").Db("db").Dbx("x").Parse();
        RuleResult r = SingleFailure(BootPolicyEvaluator.Evaluate(policy, withDbx.SelfReplayed()));
        Assert.Equal(BootPolicyRules.Dbx, r.Rule);
        Assert.Equal(5, r.Event!.Index);
    }

    [Fact]
    public void Variable_pinned_but_missing_from_the_log_fails_without_an_event()
    {
        MeasuredBootPolicy policy = PolicyOf(new BootLogBuilder().SecureBoot(1).Pk("pk").Kek("kek").Db("db").Dbx("x"));
        RuleResult r = SingleFailure(BootPolicyEvaluator.Evaluate(policy, new BootLogBuilder().SecureBoot(1).Pk("pk").Kek("kek").Db("db").Parse().SelfReplayed()));
        Assert.Equal(BootPolicyRules.Dbx, r.Rule);
        Assert.Contains("no dbx measurement", r.Found, StringComparison.Ordinal);
        Assert.Null(r.Event);
    }

    [Fact]
    public void Variable_authority_events_are_not_measurements_of_db()
    {
        // EV_EFI_VARIABLE_AUTHORITY names the db entry that verified an image (PFP §10.4.4): not the db variable.
        MeasuredBootPolicy policy = PolicyOf(BootLogBuilder.Typical());
        var b = BootLogBuilder.Typical();
        b.Event(7, TcgEventType.EV_EFI_VARIABLE_AUTHORITY,
            BootLogBuilder.VariableData(KnownGuids.EfiImageSecurityDatabase, "db", Encoding.ASCII.GetBytes("one cert")));
        Assert.True(BootPolicyEvaluator.Evaluate(policy, b.Parse().SelfReplayed()).Passed);
    }

    [Fact]
    public void Changed_kernel_fails_boot_application_at_stage_2_naming_the_event()
    {
        MeasuredBootPolicy policy = PolicyOf(BootLogBuilder.Typical());
        ParsedEventLog log = BootLogBuilder.Typical(kernel: "vmlinuz-evil").Parse();
        RuleResult r = SingleFailure(BootPolicyEvaluator.Evaluate(policy, log.SelfReplayed()));
        Assert.Equal(BootPolicyRules.BootApplication, r.Rule);
        Assert.StartsWith("stage 2", r.Expected, StringComparison.Ordinal);
        UntrustedEvent kernel = log.UntrustedEvents.Where(e => e.EventType == TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION).Last();
        Assert.Equal(EventReference.Of(kernel), r.Event);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData("vmlinuz-evil"u8)), r.Found, StringComparison.Ordinal);
    }

    [Fact]
    public void Second_kernel_added_as_an_alternative_passes()
    {
        MeasuredBootPolicy policy = PolicyOf(BootLogBuilder.Typical());
        policy.BootApplications![2].Allowed.Add(Sha256, SHA256.HashData("vmlinuz-6.2"u8));
        Assert.True(BootPolicyEvaluator.Evaluate(policy, BootLogBuilder.Typical(kernel: "vmlinuz-6.2").Parse().SelfReplayed()).Passed);
    }

    [Fact]
    public void Extra_boot_application_fails_as_an_unexpected_stage()
    {
        MeasuredBootPolicy policy = PolicyOf(BootLogBuilder.Typical());
        ParsedEventLog log = BootLogBuilder.Typical().BootApp("chainloaded.efi").Parse();
        RuleResult r = SingleFailure(BootPolicyEvaluator.Evaluate(policy, log.SelfReplayed()));
        Assert.Equal(BootPolicyRules.BootApplicationExtraStage, r.Rule);
        Assert.Equal(log.UntrustedEvents.Count - 1, r.Event!.Index);
        Assert.StartsWith("stage 3", r.Found, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_boot_application_fails_as_a_missing_stage()
    {
        MeasuredBootPolicy policy = PolicyOf(BootLogBuilder.Typical());
        var b = new BootLogBuilder().SecureBoot(1).Pk("pk-cert").Kek("kek-cert").Db("db-certs").Dbx("dbx-hashes").Separator(7);
        for (uint pcr = 0; pcr <= 6; pcr++)
        {
            b.Separator(pcr);
        }
        b.BootApp("shimx64.efi").BootApp("grubx64.efi").Grub("grub_cmd: ", "linux /vmlinuz").Grub("kernel_cmdline: ", "root=/dev/sda1");
        RuleResult r = SingleFailure(BootPolicyEvaluator.Evaluate(policy, b.Parse().SelfReplayed()));
        Assert.Equal(BootPolicyRules.BootApplicationMissingStage, r.Rule);
        Assert.StartsWith("stage 2", r.Expected, StringComparison.Ordinal);
        Assert.Null(r.Event);
    }

    [Fact]
    public void Boot_applications_on_another_pcr_are_not_stages()
    {
        MeasuredBootPolicy policy = PolicyOf(BootLogBuilder.Typical());
        var b = BootLogBuilder.Typical();
        b.Event(2, TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION, [1, 2, 3]);
        Assert.True(BootPolicyEvaluator.Evaluate(policy, b.Parse().SelfReplayed()).Passed);
    }

    [Fact]
    public void Kernel_command_line_is_pinned_by_default_and_the_older_ipl_set_only_on_request()
    {
        // Issue 9 item 2: this used to pass with the default policy (EV_IPL was off unless --include-ipl).
        ParsedEventLog changed = BootLogBuilder.Typical(cmdline: "root=/dev/sda1 init=/bin/sh").Parse();
        RuleResult byDefault = SingleFailure(BootPolicyEvaluator.Evaluate(PolicyOf(BootLogBuilder.Typical()), changed.SelfReplayed()));
        Assert.Equal(BootPolicyRules.KernelCommandLine, byDefault.Rule);
        Assert.Equal(8u, byDefault.Event!.Pcr);
        Assert.Contains("init=/bin/sh", byDefault.Found, StringComparison.Ordinal);

        MeasuredBootPolicy strict = PolicyOf(BootLogBuilder.Typical(), new BootPolicyOptions { IncludeIpl = true, BootConfigPcrs = [] });
        Assert.Null(strict.KernelCommandLine);
        Assert.Null(strict.BootConfig);
        Assert.Equal(2, strict.Ipl!.Allowed.For(Sha256).Count);
        RuleResult r = SingleFailure(BootPolicyEvaluator.Evaluate(strict, changed.SelfReplayed()));
        Assert.Equal(BootPolicyRules.Ipl, r.Rule);
        Assert.Equal(8u, r.Event!.Pcr);
        Assert.Contains("init=/bin/sh", r.Found, StringComparison.Ordinal);
    }

    [Fact]
    public void Ipl_on_a_pcr_outside_the_list_is_not_checked()
    {
        // The older single EV_IPL set alone (no per-PCR boot configuration, which pins PCR 14 too).
        MeasuredBootPolicy strict = PolicyOf(BootLogBuilder.Typical(), new BootPolicyOptions { IncludeIpl = true, BootConfigPcrs = [] });
        Assert.True(BootPolicyEvaluator.Evaluate(strict, BootLogBuilder.Typical().Ipl(14, "MokList").Parse().SelfReplayed()).Passed);
        Assert.False(BootPolicyEvaluator.Evaluate(strict, BootLogBuilder.Typical().Ipl(9, "/boot/initrd").Parse().SelfReplayed()).Passed);
    }

    [Fact]
    public void Error_separator_fails_naming_the_event()
    {
        MeasuredBootPolicy policy = PolicyOf(BootLogBuilder.Typical());
        var b = new BootLogBuilder().SecureBoot(1).Pk("pk-cert").Kek("kek-cert").Db("db-certs").Dbx("dbx-hashes").Separator(7);
        for (uint pcr = 0; pcr <= 6; pcr++)
        {
            b.Separator(pcr, pcr == 4 ? 1u : 0u);
        }
        b.BootApp("shimx64.efi").BootApp("grubx64.efi").BootApp("vmlinuz-6.1").Grub("grub_cmd: ", "linux /vmlinuz").Grub("kernel_cmdline: ", "root=/dev/sda1");
        RuleResult r = SingleFailure(BootPolicyEvaluator.Evaluate(policy, b.Parse().SelfReplayed()));
        Assert.Equal(BootPolicyRules.Separator, r.Rule);
        Assert.Equal(4u, r.Event!.Pcr);
        Assert.Contains("separator 01000000", r.Found, StringComparison.Ordinal);
    }

    [Fact]
    public void Extra_and_missing_separators_fail()
    {
        MeasuredBootPolicy policy = PolicyOf(BootLogBuilder.Typical());
        RuleResult extra = SingleFailure(BootPolicyEvaluator.Evaluate(policy, BootLogBuilder.Typical().Separator(12).Parse().SelfReplayed()));
        Assert.Equal(12u, extra.Event!.Pcr);
        Assert.Contains("an extra separator", extra.Found, StringComparison.Ordinal);

        var b = new BootLogBuilder().SecureBoot(1).Pk("pk-cert").Kek("kek-cert").Db("db-certs").Dbx("dbx-hashes").Separator(7);
        b.BootApp("shimx64.efi").BootApp("grubx64.efi").BootApp("vmlinuz-6.1");
        BootPolicyEvaluation e = BootPolicyEvaluator.Evaluate(policy, b.Parse().SelfReplayed());
        Assert.Equal(7, e.Failures.Count(f => f.Rule == BootPolicyRules.Separator && f.Event is null));
    }

    [Fact]
    public void Policy_bank_missing_from_the_log_fails_banks_and_skips_the_rest()
    {
        MeasuredBootPolicy policy = PolicyOf(BootLogBuilder.Typical());
        ParsedEventLog sha1Only = EventLogParser.Parse(SharedLogs.Bytes("gcp-debian10-sb-sha1log"));
        BootPolicyEvaluation e = BootPolicyEvaluator.Evaluate(policy, sha1Only.SelfReplayed());
        RuleResult r = SingleFailure(e);
        Assert.Equal(BootPolicyRules.Banks, r.Rule);
        Assert.Contains("sha1", r.Found, StringComparison.Ordinal);
        Assert.All(e.Results.Where(x => x.Rule != BootPolicyRules.Banks), x => Assert.Equal(RuleStatus.Skipped, x.Status));
    }

    [Fact]
    public void Two_bank_policy_fails_when_only_the_sha1_digest_differs()
    {
        MeasuredBootPolicy policy = PolicyOf(BootLogBuilder.Typical(), new BootPolicyOptions { Banks = [Sha1, Sha256] });
        byte[] log = BootLogBuilder.Typical().Build();
        ParsedEventLog parsed = EventLogParser.Parse(log);
        UntrustedEvent shim = parsed.UntrustedEvents.First(e => e.EventType == TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION);
        log[shim.Offset + 4 + 4 + 4 + 2] ^= 0xFF; // first byte of the SHA-1 TPMT_HA.digest
        RuleResult r = SingleFailure(BootPolicyEvaluator.Evaluate(policy, EventLogParser.Parse(log).SelfReplayed()));
        Assert.Equal(BootPolicyRules.BootApplication, r.Rule);
        Assert.StartsWith("sha1 ", r.Found, StringComparison.Ordinal);
        Assert.Equal(shim.Index, r.Event!.Index);
    }

    [Fact]
    public void Event_without_a_digest_in_the_policy_bank_fails()
    {
        // TPML_DIGEST_VALUES.count may be below the Spec ID's algorithm count: this app has SHA-1 only.
        MeasuredBootPolicy policy = PolicyOf(BootLogBuilder.Typical());
        byte[] bytes = BootLogBuilder.Typical().Build();
        ParsedEventLog good = EventLogParser.Parse(bytes);
        int kernelIndex = good.UntrustedEvents.Last(e => e.EventType == TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION).Index;
        var b = new EventLog.LogBuilder();
        foreach (UntrustedEvent e in good.UntrustedEvents)
        {
            if (e.Index == kernelIndex)
            {
                b.U32(4).U32((uint)TcgEventType.EV_EFI_BOOT_SERVICES_APPLICATION).U32(1)
                    .U16(0x0004).Bytes(SHA1.HashData("vmlinuz-6.1"u8)).U32((uint)e.Data.Length).Bytes(e.Data.Span);
            }
            else
            {
                b.Bytes(bytes.AsSpan(e.Offset, e.Length));
            }
        }
        RuleResult r = SingleFailure(BootPolicyEvaluator.Evaluate(policy, EventLogParser.Parse(b.ToArray()).SelfReplayed()));
        Assert.Equal(BootPolicyRules.BootApplication, r.Rule);
        Assert.StartsWith("no sha256 digest", r.Found, StringComparison.Ordinal);
    }

    [Fact]
    public void Rules_left_out_of_the_policy_are_skipped_and_pass_anything()
    {
        var policy = new MeasuredBootPolicy { Banks = [Sha256] };
        BootPolicyEvaluation e = BootPolicyEvaluator.Evaluate(policy, BootLogBuilder.Typical(secureBoot: 0, kernel: "anything").Parse().SelfReplayed());
        Assert.True(e.Passed);
        Assert.Equal(RuleStatus.Passed, e.Results.Single(r => r.Rule == BootPolicyRules.Banks).Status);
        Assert.All(e.Results.Where(r => r.Rule != BootPolicyRules.Banks), r => Assert.Equal(RuleStatus.Skipped, r.Status));
    }

    [Fact]
    public void Empty_stage_list_allows_no_boot_application()
    {
        var policy = new MeasuredBootPolicy { Banks = [Sha256], BootApplications = [] };
        BootPolicyEvaluation e = BootPolicyEvaluator.Evaluate(policy, BootLogBuilder.Typical().Parse().SelfReplayed());
        Assert.Equal(3, e.Failures.Count(f => f.Rule == BootPolicyRules.BootApplicationExtraStage));
    }

    [Fact]
    public void Failures_become_findings_named_after_the_rule()
    {
        MeasuredBootPolicy policy = PolicyOf(BootLogBuilder.Typical());
        RuleResult r = SingleFailure(BootPolicyEvaluator.Evaluate(policy, BootLogBuilder.Typical(kernel: "k2").Parse().SelfReplayed()));
        Findings.Finding f = r.ToFinding();
        Assert.True(f.IsFailure);
        Assert.Equal("BootPolicy.boot-application", f.Code);
        Assert.Contains($"event #{r.Event!.Index} (PCR 4, EV_EFI_BOOT_SERVICES_APPLICATION, byte offset {r.Event.Offset})", f.Message, StringComparison.Ordinal);
    }
}
