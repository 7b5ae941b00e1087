using System.CommandLine;
using System.Text;
using System.Text.Json;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Errors;
using KcryptPush.Tpm.Marshalling;
using KcryptPush.Tpm.Transport;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Agent.Cli;

/// <summary>
/// <c>kcrypt-push-agent tpm info [--tpm URI] [--ek rsa|ecc|ecc384] [--json]</c>: manufacturer,
/// firmware, PCR banks, EK type, whether an EK certificate is provisioned, and the TPM hash
/// (SHA-256 of the EK's DER SubjectPublicKeyInfo, DESIGN.md "Identities").
/// </summary>
internal static class TpmInfoCommand
{
    public static Command Create()
    {
        Option<string> tpm = AgentOptions.Tpm();
        Option<string> ek = AgentOptions.Ek();
        Option<bool> json = AgentOptions.Json();
        var command = new Command("info", "Show the TPM's manufacturer, firmware, PCR banks, EK type and TPM hash")
        {
            tpm,
            ek,
            json,
        };
        command.SetAction(parsed => Run(
            parsed.GetValue(tpm) ?? AgentOptions.DefaultTpm,
            parsed.GetValue(ek) ?? AgentOptions.DefaultEk,
            parsed.GetValue(json),
            Console.Out,
            Console.Error));
        return command;
    }

    public static int Run(string tpmUri, string ekOption, bool json, TextWriter stdout, TextWriter stderr)
    {
        if (!EkKinds.TryParse(ekOption, out EkKind kind))
        {
            stderr.WriteLine($"kcrypt-push-agent: invalid --ek '{ekOption}': expected rsa, ecc or ecc384");
            return ExitCodes.Usage;
        }
        try
        {
            TpmInfoReport report = Collect(tpmUri, kind);
            stdout.Write(json ? ToJson(report) : ToText(report));
            return ExitCodes.Success;
        }
        catch (InvalidTpmUriException e)
        {
            stderr.WriteLine($"kcrypt-push-agent: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is TpmTransportException or TpmException or TpmFormatException or TpmProtocolException)
        {
            stderr.WriteLine($"kcrypt-push-agent: TPM {tpmUri}: {OneLine(e.Message)}");
            return ExitCodes.Failed;
        }
    }

    private static TpmInfoReport Collect(string tpmUri, EkKind kind)
    {
        using TpmClient client = TpmClient.Open(tpmUri);
        TpmInfo info = client.Info();
        bool hasCertificate = client.ReadEkCertificateBytes(kind) is not null;
        using TpmKey ek = client.CreateEk(kind);
        return new TpmInfoReport(info, kind, TpmHash.Of(ek.Public), hasCertificate, EkKinds.CertificateIndex(kind));
    }

    private static string ToText(TpmInfoReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"manufacturer:   {r.Info.Manufacturer}");
        sb.AppendLine($"vendor:         {r.Info.VendorString}");
        sb.AppendLine($"firmware:       {r.Info.Firmware}");
        sb.AppendLine($"pcr banks:      {string.Join(", ", r.Info.Banks.Select(b => TpmAlgorithms.BankName(b)))}");
        sb.AppendLine($"ek type:        {EkKinds.OptionName(r.Kind)}");
        sb.AppendLine($"ek certificate: {(r.HasCertificate ? "present" : "absent")} (NV 0x{r.CertificateIndex:x8})");
        sb.AppendLine($"tpm hash:       {r.TpmHash}");
        return sb.ToString();
    }

    private static string ToJson(TpmInfoReport r)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("tpmHash", r.TpmHash);
            w.WriteString("ekType", EkKinds.OptionName(r.Kind));
            w.WriteString("manufacturer", r.Info.Manufacturer);
            w.WriteString("vendor", r.Info.VendorString);
            w.WriteString("firmware", r.Info.Firmware);
            w.WriteStartArray("banks");
            foreach (TpmAlgId bank in r.Info.Banks)
            {
                w.WriteStringValue(TpmAlgorithms.BankName(bank));
            }
            w.WriteEndArray();
            w.WriteBoolean("ekCertificate", r.HasCertificate);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + Environment.NewLine;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");

    private sealed record TpmInfoReport(TpmInfo Info, EkKind Kind, string TpmHash, bool HasCertificate, uint CertificateIndex);
}
