using System.CommandLine;
using KcryptPush.Attestation.EventLog;

namespace KcryptPush.Verifier.Cli;

/// <summary><c>eventlog replay|show FILE [--json]</c>: offline inspection of a TCG PC Client event log.</summary>
internal static class EventLogCommand
{
    public static Command Create()
    {
        var command = new Command("eventlog",
            "Inspect a TCG PC Client firmware event log (binary_bios_measurements or a Windows TBS log). "
            + "The log is untrusted: these commands show what it claims; only a quote proves the PCR values.");
        command.Subcommands.Add(CreateReplay());
        command.Subcommands.Add(CreateShow());
        return command;
    }

    private static Command CreateReplay()
    {
        var file = new Argument<string>("FILE") { Description = "Event log file, e.g. /sys/kernel/security/tpm0/binary_bios_measurements." };
        var json = new Option<bool>("--json") { Description = "Print {\"banks\": {BANK: {PCR: HEX}}, \"events\": N, \"unreplayedBanks\": [{\"bank\", \"algorithmId\", \"digestSize\", \"reason\"}]} instead of a table." };
        var command = new Command("replay",
            "Replay the log: print the final value of every PCR it extends, in every bank it carries "
            + "(sha1, sha256, sha384, sha512, sm3_256, sha3_*; a bank that cannot be computed here is listed with the reason). "
            + "EV_NO_ACTION events are not extended; PCR 0 starts at the StartupLocality/H-CRTM locality; "
            + "events with a PCR index outside 0-23 are skipped and listed.")
        {
            file,
            json,
        };
        command.SetAction(parseResult => Guarded(parseResult, () =>
        {
            ParsedEventLog log = EventLogFile.Load(parseResult.GetValue(file)!);
            return parseResult.GetValue(json) ? ReplayOutput.Json(log) : ReplayOutput.Text(log);
        }));
        return command;
    }

    private static Command CreateShow()
    {
        var file = new Argument<string>("FILE") { Description = "Event log file." };
        var json = new Option<bool>("--json") { Description = "Print a JSON array of events instead of text." };
        var command = new Command("show",
            "Print every event: index, PCR, type, digests and the decoded event data "
            + "(EFI variables, image loads with device paths, GPT, separators, strings...).")
        {
            file,
            json,
        };
        command.SetAction(parseResult => Guarded(parseResult, () =>
        {
            ParsedEventLog log = EventLogFile.Load(parseResult.GetValue(file)!);
            return parseResult.GetValue(json) ? ShowOutput.Json(log) : ShowOutput.Text(log);
        }));
        return command;
    }

    /// <summary>Builds the whole output first, so that on bad input stdout stays empty; bad input
    /// is one stderr line and exit 2.</summary>
    private static int Guarded(ParseResult parseResult, Func<string> run)
    {
        TextWriter output = parseResult.InvocationConfiguration.Output;
        TextWriter error = parseResult.InvocationConfiguration.Error;
        string text;
        try
        {
            text = run();
        }
        catch (Exception e) when (e is CliInputException or EventLogFormatException)
        {
            error.WriteLine($"kcrypt-push-verifier: {e.Message}");
            return VerifierCli.BadInput;
        }
        output.Write(text);
        return 0;
    }
}
