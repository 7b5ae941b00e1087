using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;
using KcryptPush.Attestation.Evidence;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// Evaluates a <see cref="MeasuredBootPolicy"/> against the events of a log that replayed to quoted PCR
/// values (<see cref="VerifiedEventLog"/>, made only by <see cref="EvidenceVerifier"/>): an event that did
/// not replay never reaches a rule. Pure: no I/O, no state, never throws. Every rule gives at least one
/// <see cref="RuleResult"/>; a rule that fails in several places gives one failed result per place, each
/// naming the event. The verifier also requires every PCR the rules read, in every bank of the policy,
/// to have replayed (<c>KcryptPush.Verifier.Policies.MeasuredBootNodePolicy</c>).
/// </summary>
public static class BootPolicyEvaluator
{
    /// <summary>Applies every rule of <paramref name="policy"/> to <paramref name="log"/>.</summary>
    public static BootPolicyEvaluation Evaluate(MeasuredBootPolicy policy, VerifiedEventLog log)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(log);
        var results = new List<RuleResult>();

        List<ushort> missing = policy.Banks.Where(b => !log.Banks.Any(l => l.AlgorithmId == b)).ToList();
        string logBanks = string.Join(", ", log.Banks.Select(b => b.BankName));
        if (missing.Count > 0)
        {
            results.Add(Failed(BootPolicyRules.Banks, $"the log to carry {BankList(policy.Banks)} digests",
                $"a log with {logBanks} digests only", null));
            foreach (string rule in new[] { BootPolicyRules.SecureBootState, BootPolicyRules.PK, BootPolicyRules.KEK, BootPolicyRules.Db,
                BootPolicyRules.Dbx, BootPolicyRules.BootApplication, BootPolicyRules.KernelCommandLine, BootPolicyRules.BootConfig,
                BootPolicyRules.Ipl, BootPolicyRules.Separator })
            {
                results.Add(new RuleResult(rule, RuleStatus.Skipped, "-", $"not evaluated: the log has no {BankList(missing)} digests", null));
            }
            return new BootPolicyEvaluation(results);
        }
        results.Add(Passed(BootPolicyRules.Banks, $"{BankList(policy.Banks)} digests", $"the log carries {logBanks}"));

        MeasuredBootEvents events = MeasuredBootEvents.Find(log);
        SecureBoot(policy, events, results);
        foreach (SecureBootVariable v in MeasuredBootPolicy.PinnableVariables)
        {
            Variable(policy, events, v, results);
        }
        BootApplications(policy, events, results);
        IReadOnlyList<KernelCommandLine> lines = events.KernelCommandLines(policy.Banks);
        KernelCommandLines(policy, lines, results);
        BootConfig(policy, events, lines, results);
        Ipl(policy, events, results);
        Separators(policy, events, results);
        return new BootPolicyEvaluation(results);
    }

    /// <summary>
    /// The PCRs whose events the rules of <paramref name="policy"/> read in <paramref name="log"/>: 7 (Secure Boot
    /// state and databases), 4 (boot applications), 8 and 12 (kernel command line), the boot-configuration and
    /// EV_IPL PCRs, and every PCR with an expected or a logged separator. The rules prove something only when each
    /// of these replayed to a quoted value in every bank of the policy (or, without events, was quoted at its reset value).
    /// </summary>
    public static IReadOnlySet<int> PcrsRead(MeasuredBootPolicy policy, VerifiedEventLog log)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(log);
        var pcrs = new SortedSet<int>();
        if (policy.SecureBoot is not null || policy.Variables.Count > 0)
        {
            pcrs.Add((int)MeasuredBootEvents.SecureBootPcr);
        }
        if (policy.BootApplications is not null)
        {
            pcrs.Add((int)MeasuredBootEvents.BootApplicationPcr);
        }
        if (policy.KernelCommandLine is not null)
        {
            pcrs.UnionWith(BootPolicy.KernelCommandLine.Pcrs);
        }
        if (policy.BootConfig is { } config)
        {
            pcrs.UnionWith(config.Select(c => c.Pcr));
        }
        if (policy.Ipl is { } ipl)
        {
            pcrs.UnionWith(ipl.Pcrs);
        }
        if (policy.Separators is { } separators)
        {
            pcrs.UnionWith(separators.Where(s => s.Pcr < 24).Select(s => (int)s.Pcr));
            pcrs.UnionWith(log.Events.Where(e => e.EventType == TcgEventType.EV_SEPARATOR && e.PcrIndex < 24).Select(e => (int)e.PcrIndex));
        }
        return pcrs;
    }

    /// <summary>The rule name of a pinnable variable.</summary>
    public static string RuleOf(SecureBootVariable variable) => variable switch
    {
        SecureBootVariable.PK => BootPolicyRules.PK,
        SecureBootVariable.KEK => BootPolicyRules.KEK,
        SecureBootVariable.Db => BootPolicyRules.Db,
        SecureBootVariable.Dbx => BootPolicyRules.Dbx,
        _ => throw new ArgumentOutOfRangeException(nameof(variable), variable, "not a pinnable variable"),
    };

    private static void SecureBoot(MeasuredBootPolicy policy, MeasuredBootEvents events, List<RuleResult> results)
    {
        const string rule = BootPolicyRules.SecureBootState;
        if (policy.SecureBoot is not SecureBootState expected)
        {
            results.Add(Skipped(rule));
            return;
        }
        List<VariableMeasurement> measured = events.Of(SecureBootVariable.SecureBoot).ToList();
        string expectedText = expected == SecureBootState.NotMeasured ? "no SecureBoot measurement" : $"SecureBoot {SecureBootStates.Name(expected)}";
        if (measured.Count == 0)
        {
            results.Add(expected == SecureBootState.NotMeasured
                ? Passed(rule, expectedText, "no SecureBoot measurement on PCR 7")
                : Failed(rule, expectedText, "no SecureBoot measurement on PCR 7", null));
            return;
        }

        int before = results.Count;
        foreach (VariableMeasurement m in measured)
        {
            string found = $"SecureBoot {SecureBootStates.Name(MeasuredBootEvents.StateOf(m))} (value {ValueText(m)})";
            if (expected == SecureBootState.NotMeasured)
            {
                results.Add(Failed(rule, expectedText, found, m.Event));
                continue;
            }
            // The state is read from the data; only a digest that covers the data ties it to PCR 7.
            ushort? unbound = policy.Banks.Cast<ushort?>().FirstOrDefault(b => !MeasuredBootEvents.DigestCoversData(m, b!.Value));
            if (unbound is ushort bank)
            {
                results.Add(Failed(rule, $"{expectedText}, with a {TpmAlgorithms.BankName(bank)} digest of H(UEFI_VARIABLE_DATA) or H(VariableData)",
                    $"{found} but a {TpmAlgorithms.BankName(bank)} digest that is neither ({DigestText(m.Event, bank)})", m.Event));
            }
            else if (MeasuredBootEvents.StateOf(m) != expected)
            {
                results.Add(Failed(rule, expectedText, found, m.Event));
            }
        }
        if (results.Count == before)
        {
            results.Add(Passed(rule, expectedText, $"SecureBoot {SecureBootStates.Name(expected)} ({measured.Count} measurement{(measured.Count == 1 ? "" : "s")})"));
        }
    }

    private static void Variable(MeasuredBootPolicy policy, MeasuredBootEvents events, SecureBootVariable variable, List<RuleResult> results)
    {
        string rule = RuleOf(variable);
        string name = NameOf(variable);
        if (!policy.Variables.TryGetValue(variable, out VariableExpectation? expectation))
        {
            results.Add(Skipped(rule));
            return;
        }
        List<VariableMeasurement> measured = events.Of(variable).ToList();
        if (expectation.IsAbsent)
        {
            foreach (VariableMeasurement m in measured)
            {
                results.Add(Failed(rule, $"no {name} measurement", $"{name} measured ({Digests(policy.Banks, m.Event)})", m.Event));
            }
            if (measured.Count == 0)
            {
                results.Add(Passed(rule, $"no {name} measurement", $"no {name} measurement on PCR 7"));
            }
            return;
        }

        AllowedDigests allowed = expectation.Allowed!;
        if (measured.Count == 0)
        {
            results.Add(Failed(rule, $"{name} measured with {DescribeAll(policy.Banks, allowed)}", $"no {name} measurement on PCR 7", null));
            return;
        }
        int before = results.Count;
        foreach (VariableMeasurement m in measured)
        {
            if (FirstDisallowed(policy.Banks, m.Event, allowed) is ushort bank)
            {
                results.Add(Failed(rule, $"{name} {allowed.Describe(bank)}", $"{name} {DigestText(m.Event, bank)}", m.Event));
            }
        }
        if (results.Count == before)
        {
            results.Add(Passed(rule, $"{name} with an allowed digest", $"{measured.Count} {name} measurement{(measured.Count == 1 ? "" : "s")}, allowed"));
        }
    }

    private static void BootApplications(MeasuredBootPolicy policy, MeasuredBootEvents events, List<RuleResult> results)
    {
        if (policy.BootApplications is not { } stages)
        {
            results.Add(Skipped(BootPolicyRules.BootApplication));
            return;
        }
        IReadOnlyList<UntrustedEvent> apps = events.BootApplications;
        int before = results.Count;
        for (int i = 0; i < Math.Min(stages.Count, apps.Count); i++)
        {
            BootStage stage = stages[i];
            UntrustedEvent e = apps[i];
            if (FirstDisallowed(policy.Banks, e, stage.Allowed) is ushort bank)
            {
                results.Add(Failed(BootPolicyRules.BootApplication,
                    $"stage {i}{PathText(stage.Path)}: {stage.Allowed.Describe(bank)}",
                    $"{DigestText(e, bank)}{PathText(MeasuredBootEvents.DevicePathOf(e))}", e));
            }
        }
        for (int i = stages.Count; i < apps.Count; i++)
        {
            UntrustedEvent e = apps[i];
            results.Add(Failed(BootPolicyRules.BootApplicationExtraStage,
                $"{stages.Count} boot application{(stages.Count == 1 ? "" : "s")}",
                $"stage {i}: {Digests(policy.Banks, e)}{PathText(MeasuredBootEvents.DevicePathOf(e))}", e));
        }
        for (int i = apps.Count; i < stages.Count; i++)
        {
            BootStage stage = stages[i];
            results.Add(Failed(BootPolicyRules.BootApplicationMissingStage,
                $"stage {i}{PathText(stage.Path)}: {DescribeAll(policy.Banks, stage.Allowed)}",
                $"{apps.Count} boot application{(apps.Count == 1 ? "" : "s")} on PCR 4", null));
        }
        if (results.Count == before)
        {
            results.Add(Passed(BootPolicyRules.BootApplication, $"{stages.Count} stage{(stages.Count == 1 ? "" : "s")}",
                $"{apps.Count} boot application{(apps.Count == 1 ? "" : "s")}, each allowed for its stage"));
        }
    }

    private static void KernelCommandLines(MeasuredBootPolicy policy, IReadOnlyList<KernelCommandLine> lines, List<RuleResult> results)
    {
        const string rule = BootPolicyRules.KernelCommandLine;
        if (policy.KernelCommandLine is not { } expected)
        {
            results.Add(Skipped(rule));
            return;
        }
        if (expected.IsAbsent)
        {
            foreach (KernelCommandLine line in lines)
            {
                results.Add(Failed(rule, "no kernel command line measured", $"\"{Preview(line.Text)}\" ({Digests(policy.Banks, line.Event)})", line.Event));
            }
            if (lines.Count == 0)
            {
                results.Add(Passed(rule, "no kernel command line measured", "none on PCR 8 or 12"));
            }
            return;
        }

        AllowedDigests allowed = expected.Allowed!;
        string values = expected.Values.Count == 0 ? "" : $": {string.Join(" or ", expected.Values.Select(v => $"\"{Preview(v)}\""))}";
        if (lines.Count == 0)
        {
            results.Add(Failed(rule, $"a kernel command line on PCR 8 (GRUB) or 12 (systemd-boot, systemd-stub){values} ({DescribeAll(policy.Banks, allowed)})",
                "no EV_IPL kernel command line whose digest is the hash of its text", null));
            return;
        }
        int before = results.Count;
        foreach (KernelCommandLine line in lines)
        {
            if (FirstDisallowed(policy.Banks, line.Event, allowed) is ushort bank)
            {
                results.Add(Failed(rule, $"an allowed kernel command line{values} ({allowed.Describe(bank)})",
                    $"\"{Preview(line.Text)}\" ({DigestText(line.Event, bank)})", line.Event));
            }
        }
        if (results.Count == before)
        {
            results.Add(Passed(rule, "allowed kernel command lines", $"{lines.Count} kernel command line{(lines.Count == 1 ? "" : "s")}, each allowed"));
        }
    }

    private static void BootConfig(MeasuredBootPolicy policy, MeasuredBootEvents events, IReadOnlyList<KernelCommandLine> lines, List<RuleResult> results)
    {
        if (policy.BootConfig is not { } expectations)
        {
            results.Add(Skipped(BootPolicyRules.BootConfig));
            return;
        }
        var lineIndexes = lines.Select(l => l.Event.Index).ToHashSet();
        int before = results.Count;
        int checkedCount = 0;
        foreach (BootConfigExpectation expected in expectations)
        {
            IReadOnlyList<UntrustedEvent> found = events.BootConfigEvents(expected.Pcr, lineIndexes);
            checkedCount += found.Count;
            foreach (UntrustedEvent e in found)
            {
                if (FirstDisallowed(policy.Banks, e, expected.Allowed) is ushort bank)
                {
                    int count = expected.Allowed.For(bank).Count;
                    results.Add(Failed(BootPolicyRules.BootConfig,
                        count == 0 ? $"no event on PCR {expected.Pcr}" : $"a digest allowed on PCR {expected.Pcr} ({count} {TpmAlgorithms.BankName(bank)} digest{(count == 1 ? "" : "s")} allowed)",
                        $"{DigestText(e, bank)} {Preview(EventDecoder.Decode(e).Summary)}", e));
                }
            }
            if (expected.Required && found.Count == 0)
            {
                results.Add(Failed(BootPolicyRules.BootConfigMissing, $"events on PCR {expected.Pcr} ({DescribeAll(policy.Banks, expected.Allowed)})",
                    $"none on PCR {expected.Pcr}", null));
            }
        }
        if (results.Count == before)
        {
            results.Add(Passed(BootPolicyRules.BootConfig, $"allowed events on PCR {string.Join("/", expectations.Select(x => x.Pcr))}",
                $"{checkedCount} event{(checkedCount == 1 ? "" : "s")}, each allowed on its PCR"));
        }
    }

    private static void Ipl(MeasuredBootPolicy policy, MeasuredBootEvents events, List<RuleResult> results)
    {
        if (policy.Ipl is not { } ipl)
        {
            results.Add(Skipped(BootPolicyRules.Ipl));
            return;
        }
        int before = results.Count;
        int checkedCount = 0;
        foreach (UntrustedEvent e in events.Ipl)
        {
            if (e.PcrIndex > int.MaxValue || !ipl.Pcrs.Contains((int)e.PcrIndex))
            {
                continue;
            }
            checkedCount++;
            if (FirstDisallowed(policy.Banks, e, ipl.Allowed) is ushort bank)
            {
                results.Add(Failed(BootPolicyRules.Ipl,
                    $"an allowed EV_IPL digest on PCR {string.Join("/", ipl.Pcrs)} ({ipl.Allowed.For(bank).Count} {TpmAlgorithms.BankName(bank)} digests allowed)",
                    $"{DigestText(e, bank)} {Preview(EventDecoder.Decode(e).Summary)}", e));
            }
        }
        if (results.Count == before)
        {
            results.Add(Passed(BootPolicyRules.Ipl, $"allowed EV_IPL digests on PCR {string.Join("/", ipl.Pcrs)}", $"{checkedCount} EV_IPL events, each allowed"));
        }
    }

    private static void Separators(MeasuredBootPolicy policy, MeasuredBootEvents events, List<RuleResult> results)
    {
        if (policy.Separators is not { } expectedAll)
        {
            results.Add(Skipped(BootPolicyRules.Separator));
            return;
        }
        int before = results.Count;
        ILookup<uint, SeparatorExpectation> expectedByPcr = expectedAll.ToLookup(s => s.Pcr);
        ILookup<uint, UntrustedEvent> foundByPcr = events.Separators.ToLookup(e => e.PcrIndex);
        foreach (uint pcr in expectedByPcr.Select(g => g.Key).Union(foundByPcr.Select(g => g.Key)).Order())
        {
            List<SeparatorExpectation> expected = expectedByPcr[pcr].ToList();
            List<UntrustedEvent> found = foundByPcr[pcr].ToList();
            for (int i = 0; i < Math.Min(expected.Count, found.Count); i++)
            {
                if (FirstDisallowed(policy.Banks, found[i], expected[i].Allowed) is ushort bank)
                {
                    results.Add(Failed(BootPolicyRules.Separator,
                        $"separator {expected[i].Value ?? "?"}: {expected[i].Allowed.Describe(bank)}",
                        $"separator {Convert.ToHexStringLower(found[i].Data.Span)}: {DigestText(found[i], bank)}", found[i]));
                }
            }
            for (int i = expected.Count; i < found.Count; i++)
            {
                results.Add(Failed(BootPolicyRules.Separator, $"{expected.Count} separator{(expected.Count == 1 ? "" : "s")} on PCR {pcr}",
                    $"an extra separator {Convert.ToHexStringLower(found[i].Data.Span)}", found[i]));
            }
            for (int i = found.Count; i < expected.Count; i++)
            {
                results.Add(Failed(BootPolicyRules.Separator, $"separator {expected[i].Value ?? "?"} on PCR {pcr}",
                    $"{found.Count} separator{(found.Count == 1 ? "" : "s")} on PCR {pcr}", null));
            }
        }
        if (results.Count == before)
        {
            results.Add(Passed(BootPolicyRules.Separator, $"{expectedAll.Count} separators", $"{events.Separators.Count} separators, as expected"));
        }
    }

    /// <summary>The first policy bank in which <paramref name="e"/>'s digest is missing or not allowed.</summary>
    private static ushort? FirstDisallowed(IReadOnlyList<ushort> banks, UntrustedEvent e, AllowedDigests allowed)
    {
        foreach (ushort bank in banks)
        {
            if (!e.TryGetDigest(bank, out ReadOnlyMemory<byte> digest) || !allowed.Allows(bank, digest.Span))
            {
                return bank;
            }
        }
        return null;
    }

    private static string DigestText(UntrustedEvent e, ushort bank) =>
        e.TryGetDigest(bank, out ReadOnlyMemory<byte> d)
            ? $"{TpmAlgorithms.BankName(bank)} {Convert.ToHexStringLower(d.Span)}"
            : $"no {TpmAlgorithms.BankName(bank)} digest";

    private static string Digests(IReadOnlyList<ushort> banks, UntrustedEvent e) => string.Join(", ", banks.Select(b => DigestText(e, b)));

    private static string DescribeAll(IReadOnlyList<ushort> banks, AllowedDigests allowed) => string.Join("; ", banks.Select(allowed.Describe));

    private static string BankList(IEnumerable<ushort> banks) => string.Join(", ", banks.Select(TpmAlgorithms.BankName));

    private static string PathText(string? path) =>
        string.IsNullOrEmpty(path) ? "" : path.StartsWith('(') ? $" {path}" : $" ({path})";

    private static string ValueText(VariableMeasurement m) =>
        m.Data.Data.Length == 0 ? "no data" : Convert.ToHexStringLower(m.Data.Data.Span[..Math.Min(m.Data.Data.Length, 16)]);

    private static string Preview(string text) => text.Length <= 120 ? text : text[..117] + "...";

    private static string NameOf(SecureBootVariable v) => v switch
    {
        SecureBootVariable.Db => "db",
        SecureBootVariable.Dbx => "dbx",
        _ => v.ToString(),
    };

    private static RuleResult Passed(string rule, string expected, string found) => new(rule, RuleStatus.Passed, expected, found, null);

    private static RuleResult Failed(string rule, string expected, string found, UntrustedEvent? e) =>
        new(rule, RuleStatus.Failed, expected, found, e is null ? null : EventReference.Of(e));

    private static RuleResult Skipped(string rule) => new(rule, RuleStatus.Skipped, "-", "not in the policy", null);
}
