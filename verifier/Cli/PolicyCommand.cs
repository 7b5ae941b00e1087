using System.CommandLine;
using KcryptPush.Attestation.BootPolicy;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Evidence;

namespace KcryptPush.Verifier.Cli;

/// <summary>
/// <c>policy create --from-log FILE [--output FILE] [--bank NAME]... [--include-ipl]</c> (the kernel command line and
/// the boot configuration PCRs are always pinned) and
/// <c>policy run --log FILE --policy FILE [--json]</c>: offline measured-boot policy work.
/// Exit codes: 0 pass (or policy written), 1 the log breaks the policy, 2 bad input (one stderr line, nothing on stdout).
/// </summary>
internal static class PolicyCommand
{
    /// <summary>Exit code when the log breaks the policy.</summary>
    public const int PolicyFailed = 1;

    public static Command Create()
    {
        var command = new Command("policy",
            "Measured-boot policy: made from a known-good event log, it pins the Secure Boot state, the PK/KEK/db/dbx "
            + "digests, the boot applications stage by stage, the kernel command line, what the boot loader and stub measure "
            + "on PCRs 8, 9, 11, 12, 13 and 14 (GRUB commands and files, UKI sections, credentials, MOK state) and the "
            + "separators, and says which rule a log breaks and at which event.");
        command.Subcommands.Add(CreateCreate());
        command.Subcommands.Add(CreateRun());
        return command;
    }

    private static Command CreateCreate()
    {
        var fromLog = new Option<string>("--from-log") { Description = "Known-good event log (binary_bios_measurements).", Required = true };
        var output = new Option<string?>("--output") { Description = "Write the policy here instead of stdout." };
        var banks = new Option<string[]>("--bank")
        {
            Description = "Bank to pin (repeatable: --bank sha1 --bank sha256). Default: sha256 if the log has it, else sha1.",
        };
        var includeIpl = new Option<bool>("--include-ipl")
        {
            Description = "Also write the older single set of EV_IPL digests over PCR 8 and 9. Not needed: the kernel command line and "
                + "the boot configuration PCRs (8, 9, 11, 12, 13, 14) are pinned, PCR by PCR, by default.",
        };
        var command = new Command("create", "Write a measured-boot policy (JSON, version 1) from a known-good event log.")
        {
            fromLog, output, banks, includeIpl,
        };
        command.SetAction(parseResult =>
        {
            TextWriter stdout = parseResult.InvocationConfiguration.Output;
            TextWriter stderr = parseResult.InvocationConfiguration.Error;
            try
            {
                ParsedEventLog log = EventLogFile.Load(parseResult.GetValue(fromLog)!);
                var options = new BootPolicyOptions
                {
                    Banks = ParseBanks(parseResult.GetValue(banks)),
                    IncludeIpl = parseResult.GetValue(includeIpl),
                };
                MeasuredBootPolicy policy;
                try
                {
                    policy = BootPolicyFactory.Create(log, options);
                }
                catch (ArgumentException e)
                {
                    throw new CliInputException(e.Message.Split(" (Parameter")[0]);
                }
                string json = BootPolicyJson.Write(policy);
                if (parseResult.GetValue(output) is { } path)
                {
                    PolicyFile.Write(path, json);
                    stdout.Write(PolicyOutput.Summary(path, policy));
                }
                else
                {
                    stdout.Write(json);
                }
                return 0;
            }
            catch (Exception e) when (e is CliInputException or EventLogFormatException)
            {
                stderr.WriteLine($"kcrypt-push-verifier: {e.Message}");
                return VerifierCli.BadInput;
            }
        });
        return command;
    }

    private static Command CreateRun()
    {
        var log = new Option<string>("--log") { Description = "Event log to evaluate.", Required = true };
        var policy = new Option<string>("--policy") { Description = "Policy file from 'policy create'.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print {\"verdict\", \"results\": [{rule, status, expected, found, event}]} instead of text." };
        var command = new Command("run",
            "Evaluate an event log against a measured-boot policy, offline. Prints 'pass', or each failed rule with what "
            + "was expected, what was found and the event (index, PCR, type, byte offset) that broke it. "
            + "Exit 0 pass, 1 fail, 2 bad input. The log is untrusted: only replay against a quote makes a pass mean something.")
        {
            log, policy, json,
        };
        command.SetAction(parseResult =>
        {
            TextWriter stdout = parseResult.InvocationConfiguration.Output;
            TextWriter stderr = parseResult.InvocationConfiguration.Error;
            BootPolicyEvaluation evaluation;
            try
            {
                MeasuredBootPolicy loaded = PolicyFile.Load(parseResult.GetValue(policy)!);
                ParsedEventLog parsed = EventLogFile.Load(parseResult.GetValue(log)!);
                // Offline there is no quote: the log is judged against its own replay (it says so in --help).
                evaluation = BootPolicyEvaluator.Evaluate(loaded, EvidenceVerifier.SelfReplay(parsed).Log);
            }
            catch (Exception e) when (e is CliInputException or EventLogFormatException)
            {
                stderr.WriteLine($"kcrypt-push-verifier: {e.Message}");
                return VerifierCli.BadInput;
            }
            stdout.Write(parseResult.GetValue(json) ? PolicyOutput.Json(evaluation) : PolicyOutput.Text(evaluation));
            return evaluation.Passed ? 0 : PolicyFailed;
        });
        return command;
    }

    private static List<ushort>? ParseBanks(string[]? names)
    {
        if (names is null || names.Length == 0)
        {
            return null;
        }
        var banks = new List<ushort>();
        foreach (string name in names)
        {
            if (!PolicyBanks.TryParse(name, out ushort alg))
            {
                throw new CliInputException($"--bank {name}: not a bank name ({string.Join(", ", PolicyBanks.Names)})");
            }
            if (!banks.Contains(alg))
            {
                banks.Add(alg);
            }
        }
        return banks;
    }
}
