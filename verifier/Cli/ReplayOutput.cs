using System.Globalization;
using System.Text;
using System.Text.Json;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Replay;

namespace KcryptPush.Verifier.Cli;

/// <summary>Formats <see cref="EventLogReplayer"/> results for <c>eventlog replay</c>.</summary>
internal static class ReplayOutput
{
    /// <summary>{"banks": {"sha256": {"0": "hex", ...}, ...}, "events": N, "unreplayedBanks": [...]}:
    /// PCR keys are decimal strings in numeric order, hex is lowercase, events counts every record.
    /// unreplayedBanks (always present, empty when every bank was replayed) lists each bank of the
    /// Spec ID event that could not be replayed here as {"bank": NAME, "algorithmId": "0x####",
    /// "digestSize": N, "reason": TEXT}; such a bank is never in "banks", whose shape is unchanged.</summary>
    public static string Json(ParsedEventLog log)
    {
        ReplayResult result = EventLogReplayer.Replay(log);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartObject("banks");
            foreach (ReplayedBank bank in result.Banks)
            {
                if (bank.Pcrs.Count == 0)
                {
                    continue; // a bank the log declares but never extends has no PCR to report
                }
                w.WriteStartObject(bank.Name);
                foreach (KeyValuePair<int, byte[]> pcr in bank.Pcrs)
                {
                    w.WriteString(pcr.Key.ToString(CultureInfo.InvariantCulture), Hex.Lower(pcr.Value));
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteNumber("events", result.EventCount);
            w.WriteStartArray("unreplayedBanks");
            foreach (UnreplayedBank bank in result.NotReplayed)
            {
                w.WriteStartObject();
                w.WriteString("bank", bank.Name);
                w.WriteString("algorithmId", $"0x{bank.AlgorithmId:x4}");
                w.WriteNumber("digestSize", bank.DigestSize);
                w.WriteString("reason", bank.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + Environment.NewLine;
    }

    /// <summary>A readable table per bank, then what was skipped.</summary>
    public static string Text(ParsedEventLog log)
    {
        ReplayResult result = EventLogReplayer.Replay(log);
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.Append(ci, $"format: {(log.Format == EventLogFormat.CryptoAgile ? "crypto-agile" : "SHA-1 legacy")}, ")
          .Append(ci, $"{result.EventCount} events, PCR 0 start locality {result.Pcr0StartLocality}").AppendLine();
        foreach (ReplayedBank bank in result.Banks)
        {
            sb.AppendLine();
            sb.Append(ci, $"bank {bank.Name}").AppendLine();
            sb.AppendLine("  PCR  value");
            foreach (KeyValuePair<int, byte[]> pcr in bank.Pcrs)
            {
                sb.Append(ci, $"  {pcr.Key,3}  {Hex.Lower(pcr.Value)}").AppendLine();
            }
        }
        foreach (UnreplayedBank bank in result.NotReplayed)
        {
            sb.AppendLine();
            sb.Append(ci, $"bank {bank.Name} (0x{bank.AlgorithmId:x4}, {bank.DigestSize}-byte digests): not replayed: {bank.Reason}").AppendLine();
        }
        if (result.Skipped.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("skipped events:");
            foreach (SkippedEvent s in result.Skipped)
            {
                sb.Append(ci, $"  #{s.EventIndex} PCR 0x{s.PcrIndex:x}{(s.Bank is null ? "" : " bank " + s.Bank)}: {s.Reason}").AppendLine();
            }
        }
        IReadOnlyList<DigestMismatch> digests = EventDigestChecker.Check(log);
        if (digests.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("events whose digest is not the one the spec defines over their data (replay used the logged digest):");
            foreach (DigestMismatch m in digests)
            {
                sb.Append(ci, $"  #{m.EventIndex} PCR {m.PcrIndex} {m.EventType} {m.Bank}: expected {m.Rule}").AppendLine();
            }
        }
        return sb.ToString();
    }
}
