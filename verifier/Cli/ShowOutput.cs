using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;

namespace KcryptPush.Verifier.Cli;

/// <summary>Formats the decoded events of a log for <c>eventlog show</c>.</summary>
internal static class ShowOutput
{
    public static string Text(ParsedEventLog log)
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.Append(ci, $"format: {(log.Format == EventLogFormat.CryptoAgile ? "crypto-agile" : "SHA-1 legacy")}, {log.UntrustedEvents.Count} events (untrusted until replay matches a quote)").AppendLine();
        foreach (UntrustedEvent e in log.UntrustedEvents)
        {
            DecodedEvent decoded = EventDecoder.Decode(e);
            sb.Append(ci, $"#{e.Index} PCR {PcrText(e.PcrIndex)} {e.TypeName} (offset {e.Offset}, {e.Data.Length} bytes of data)").AppendLine();
            foreach (UntrustedDigest d in e.Digests)
            {
                sb.Append(ci, $"    {d.BankName}: {Hex.Lower(d.Digest.Span)}").AppendLine();
            }
            sb.Append("    ").AppendLine(decoded.Summary);
            foreach (string line in Certificates(decoded))
            {
                sb.Append("      ").AppendLine(line);
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
                DecodedEvent decoded = EventDecoder.Decode(e);
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
                w.WriteStartObject("decoded");
                w.WriteString("kind", decoded.Kind);
                w.WriteString("summary", decoded.Summary);
                WriteFields(w, decoded);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + Environment.NewLine;
    }

    private static void WriteFields(Utf8JsonWriter w, DecodedEvent decoded)
    {
        switch (decoded)
        {
            case EfiVariableEvent v:
                w.WriteString("vendor_guid", v.Variable.VendorGuid.ToString());
                w.WriteString("name", v.Variable.Name);
                w.WriteNumber("variable_data_size", v.Variable.Data.Length);
                if (v.Recognized != SecureBootVariable.None) w.WriteString("recognized", v.Recognized.ToString());
                if (v.Detail is not null) w.WriteString("detail", v.Detail);
                if (v.SignatureLists is not null)
                {
                    w.WriteStartArray("signature_lists");
                    foreach (EfiSignatureList l in v.SignatureLists)
                    {
                        w.WriteStartObject();
                        w.WriteString("type", l.TypeName);
                        w.WriteNumber("count", l.Signatures.Count);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                break;
            case ImageLoadEvent i:
                w.WriteString("device_path", i.DevicePath);
                w.WriteNumber("image_location", i.ImageLocationInMemory);
                w.WriteNumber("image_length", i.ImageLengthInMemory);
                break;
            case TextEvent t:
                w.WriteString("text", t.Text);
                w.WriteString("encoding", t.Encoding);
                break;
            case SeparatorEvent s:
                w.WriteString("value", s.Value);
                w.WriteString("meaning", s.Meaning);
                break;
            case StartupLocalityEvent s:
                w.WriteNumber("locality", s.Locality);
                break;
            case UndecodableEvent u:
                w.WriteString("reason", u.Reason);
                break;
        }
    }

    /// <summary>Subjects of X.509 entries in db/KEK/PK/MokList values; certificates are untrusted
    /// input, so a bad one is reported, not thrown.</summary>
    private static IEnumerable<string> Certificates(DecodedEvent decoded)
    {
        if (decoded is not EfiVariableEvent { SignatureLists: { } lists })
        {
            yield break;
        }
        foreach (EfiSignatureList list in lists)
        {
            if (list.SignatureType != KnownGuids.EfiCertX509)
            {
                continue;
            }
            foreach (EfiSignatureData entry in list.Signatures)
            {
                string text;
                try
                {
                    using X509Certificate2 cert = X509CertificateLoader.LoadCertificate(entry.Data.Span);
                    text = $"x509: {cert.Subject}";
                }
                catch (CryptographicException ex)
                {
                    text = $"x509: does not parse ({ex.Message})";
                }
                yield return text;
            }
        }
    }

    private static string PcrText(uint pcr) =>
        pcr < 24 ? pcr.ToString(CultureInfo.InvariantCulture) : "0x" + pcr.ToString("x8", CultureInfo.InvariantCulture);
}
