using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;
using KcryptPush.Attestation.Evidence;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.BootPolicy;

/// <summary>
/// Makes a <see cref="MeasuredBootPolicy"/> from a known-good parsed log: the log's Secure Boot
/// state, the digests of its PK/KEK/db/dbx measurements (or "absent"), its boot applications stage
/// by stage, its kernel command line (or "absent"), what decides what runs on the boot-configuration
/// PCRs (8, 9, 11, 12, 13, 14 unless told otherwise), its separators, and optionally the older single
/// EV_IPL set. Works for any log the parser
/// accepts (SHA-1 legacy, Windows, systemd-boot, no Secure Boot, an empty chain): whatever the log
/// lacks becomes an expectation that it stays lacking. Evaluating the policy against the same log passes.
/// </summary>
public static class BootPolicyFactory
{
    /// <summary>Creates a policy from <paramref name="log"/> with default options.</summary>
    public static MeasuredBootPolicy Create(ParsedEventLog log) => Create(log, new BootPolicyOptions());

    /// <summary>Creates a policy from <paramref name="log"/>.</summary>
    /// <exception cref="ArgumentException">A requested bank is not in the log.</exception>
    public static MeasuredBootPolicy Create(ParsedEventLog log, BootPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(options);
        IReadOnlyList<ushort> banks = options.Banks is { Count: > 0 } requested ? requested : [PolicyBanks.Preferred(log)];
        foreach (ushort bank in banks)
        {
            if (!log.Banks.Any(b => b.AlgorithmId == bank))
            {
                throw new ArgumentException(
                    $"the log carries no {TpmAlgorithms.BankName(bank)} digests (it has {string.Join(", ", log.Banks.Select(b => b.BankName))})",
                    nameof(options));
            }
        }

        // The events a verifier could ever see of this boot: those that replay (here against the log's own
        // replay: the operator vouches for a known-good log). An event the verifier's replay leaves out (on a
        // PCR no quote covers, without a digest in any bank) must not become an expectation it can never meet.
        MeasuredBootEvents events = MeasuredBootEvents.Find(EvidenceVerifier.SelfReplay(log).Log);
        var variables = new Dictionary<SecureBootVariable, VariableExpectation>();
        foreach (SecureBootVariable v in MeasuredBootPolicy.PinnableVariables)
        {
            List<VariableMeasurement> measured = events.Of(v).ToList();
            variables[v] = measured.Count == 0
                ? VariableExpectation.Absent()
                : VariableExpectation.Measured(Collect(banks, measured.Select(m => m.Event)));
        }

        var stages = new List<BootStage>(events.BootApplications.Count);
        for (int i = 0; i < events.BootApplications.Count; i++)
        {
            UntrustedEvent e = events.BootApplications[i];
            stages.Add(new BootStage(i, MeasuredBootEvents.DevicePathOf(e), Collect(banks, [e])));
        }

        var separators = events.Separators
            .Select(e => new SeparatorExpectation(e.PcrIndex, Convert.ToHexStringLower(e.Data.Span), Collect(banks, [e])))
            .ToList();

        KernelCommandLineExpectation? commandLine = null;
        List<BootConfigExpectation>? bootConfig = null;
        if (options.BootConfigPcrs is { Count: > 0 } configPcrs)
        {
            foreach (int pcr in configPcrs)
            {
                if (pcr is < 0 or > 23)
                {
                    throw new ArgumentException($"boot-configuration PCR {pcr} is outside 0-23", nameof(options));
                }
            }

            IReadOnlyList<KernelCommandLine> lines = events.KernelCommandLines(banks);
            commandLine = lines.Count == 0
                ? KernelCommandLineExpectation.Absent()
                : KernelCommandLineExpectation.Measured(Collect(banks, lines.Select(l => l.Event)), lines.Select(l => l.Text).Distinct(StringComparer.Ordinal).ToList());
            var lineIndexes = lines.Select(l => l.Event.Index).ToHashSet();
            bootConfig = configPcrs.Distinct().Order().Select(pcr =>
            {
                IReadOnlyList<UntrustedEvent> measured = events.BootConfigEvents(pcr, lineIndexes);
                return new BootConfigExpectation(pcr, measured.Count > 0, Collect(banks, measured));
            }).ToList();
        }

        IplExpectation? ipl = null;
        if (options.IncludeIpl)
        {
            IReadOnlyList<int> pcrs = options.IplPcrs;
            ipl = new IplExpectation(pcrs, Collect(banks, events.Ipl.Where(e => pcrs.Contains((int)Math.Min(e.PcrIndex, int.MaxValue)))));
        }

        return new MeasuredBootPolicy
        {
            Banks = banks,
            SecureBoot = events.LogSecureBootState(),
            Variables = variables,
            BootApplications = stages,
            KernelCommandLine = commandLine,
            BootConfig = bootConfig,
            Ipl = ipl,
            Separators = separators,
        };
    }

    /// <summary>The digests of <paramref name="measurements"/> in each bank; every bank gets an entry.</summary>
    private static AllowedDigests Collect(IReadOnlyList<ushort> banks, IEnumerable<UntrustedEvent> measurements)
    {
        var allowed = new AllowedDigests();
        foreach (ushort bank in banks)
        {
            allowed.AddBank(bank);
        }
        foreach (UntrustedEvent e in measurements)
        {
            foreach (ushort bank in banks)
            {
                // An event may lack a bank (TPML_DIGEST_VALUES.count below the Spec ID's); then
                // nothing is allowed for it there, and evaluation reports the missing digest.
                if (e.TryGetDigest(bank, out ReadOnlyMemory<byte> digest))
                {
                    allowed.Add(bank, digest.Span);
                }
            }
        }
        return allowed;
    }
}
