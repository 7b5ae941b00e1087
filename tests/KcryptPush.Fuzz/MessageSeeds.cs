using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Structures;
using MassTransit.Serialization;

namespace KcryptPush.Fuzz;

/// <summary>
/// QuoteSubmitted seed payloads for the message target, made from the real GCE quote and its event
/// log (testdata/quotes/gce-cos85-nonce9009.*, testdata/eventlogs/gcp-cos85-sev-attested.bin) and
/// written as the bus writes them (MassTransit's SystemTextJson options: camelCase, base64 bytes).
/// </summary>
internal static class MessageSeeds
{
    public static void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        RealQuote q = RealQuote.Instance;
        byte[] log = RealQuote.Resource("gcp-cos85-sev-attested.bin");
        byte[] akName = TpmtPublic.Parse(q.AkPublic).ComputeName();
        string tpmHash = Convert.ToHexStringLower(SHA256.HashData(q.AkPublic));
        var challenge = new Guid("6f1c2d0e-5a4b-4c3d-9e8f-0a1b2c3d4e5f");

        var seeds = new Dictionary<string, QuoteSubmitted>(StringComparer.Ordinal)
        {
            // An ordinary interval: the verifier has the log, only its digest is sent.
            ["steady-sha256.json"] = new(challenge, tpmHash, akName, q.Attest, q.Signature,
                [Bank("sha256")], SHA256.HashData(log), null, null, "gce-cos85"),
            // The log asked for: sent whole, with every bank the quotes cover.
            ["with-eventlog.json"] = new(challenge, tpmHash, akName, q.Attest, q.Signature,
                [Bank("sha1"), Bank("sha256"), Bank("sha384")], SHA256.HashData(log), log, null, "gce-cos85"),
            // A release: secrets asked for, bound to a release key (a real TPMT_PUBLIC).
            ["release.json"] = new(challenge, tpmHash, akName, q.Attest, q.Signature,
                [Bank("sha256")], SHA256.HashData(log), null, ["root", "data"], "gce-cos85", q.AkPublic),
            // The sha1 quote of the same TPM.
            ["steady-sha1.json"] = new(challenge, tpmHash, akName,
                RealQuote.Resource("gce-cos85-nonce9009.sha1.tpms_attest"), RealQuote.Resource("gce-cos85-nonce9009.sha1.tpmt_signature"),
                [Bank("sha1")], SHA256.HashData(log), null, null, "gce-cos85"),
        };
        foreach ((string name, QuoteSubmitted message) in seeds)
        {
            File.WriteAllText(Path.Combine(directory, name),
                JsonSerializer.Serialize(message, SystemTextJsonMessageSerializer.Options) + "\n");
        }
    }

    /// <summary>One bank's PCR values from the quote's sidecar (testdata/quotes/*.quote.json).</summary>
    private static PcrBankValues Bank(string bank)
    {
        using JsonDocument sidecar = JsonDocument.Parse(RealQuote.Instance.SidecarJson);
        foreach (JsonElement quote in sidecar.RootElement.GetProperty("quotes").EnumerateArray())
        {
            if (quote.GetProperty("bank").GetString() == bank)
            {
                var values = new SortedDictionary<int, byte[]>();
                foreach (JsonProperty pcr in quote.GetProperty("pcrs").EnumerateObject())
                {
                    values[int.Parse(pcr.Name, CultureInfo.InvariantCulture)] = Convert.FromHexString(pcr.Value.GetString()!);
                }
                return new PcrBankValues(bank, values);
            }
        }
        throw new InvalidOperationException($"no {bank} quote in the sidecar");
    }
}
