using System.Globalization;
using System.Text;
using System.Text.Json;
using KcryptPush.Attestation.EventLog;

namespace KcryptPush.Verifier.Cli;

/// <summary>Formats the events of a log for <c>eventlog show</c>.</summary>
internal static class ShowOutput
{
    public static string Text(ParsedEventLog log)
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        foreach (UntrustedEvent e in log.UntrustedEvents)
        {
            sb.Append(ci, $"#{e.Index} PCR {PcrText(e.PcrIndex)} {e.TypeName} (offset {e.Offset}, {e.Data.Length} data bytes)").AppendLine();
            foreach (UntrustedDigest d in e.Digests)
            {
                sb.Append(ci, $"    {d.BankName}: {Hex.Lower(d.Digest.Span)}").AppendLine();
            }
        }
        return sb.ToString();
    }

    public static string Json(ParsedEventLog log)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (UntrustedEvent e in log.UntrustedEvents)
            {
                w.WriteStartObject();
                w.WriteNumber("index", e.Index);
                w.WriteNumber("pcr", e.PcrIndex);
                w.WriteString("type", e.TypeName);
                w.WriteNumber("type_value", (uint)e.EventType);
                w.WriteNumber("offset", e.Offset);
                w.WriteStartObject("digests");
                foreach (UntrustedDigest d in e.Digests)
                {
                    w.WriteString(d.BankName, Hex.Lower(d.Digest.Span));
                }
                w.WriteEndObject();
                w.WriteNumber("data_size", e.Data.Length);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + Environment.NewLine;
    }

    private static string PcrText(uint pcr) =>
        pcr < 24 ? pcr.ToString(CultureInfo.InvariantCulture) : "0x" + pcr.ToString("x8", CultureInfo.InvariantCulture);
}
