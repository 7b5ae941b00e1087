using System.Text.Json;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.Quotes;

/// <summary>One real quote from testdata/quotes, described by its *.quote.json sidecar.</summary>
public sealed record RealQuote(
    string Id,
    byte[] AkPublic,
    byte[] Attest,
    byte[] Signature,
    byte[] Nonce,
    TpmlPcrSelection Selection,
    PcrValues Pcrs,
    IReadOnlyDictionary<int, byte[]> PcrsOfFirstBank)
{
    public override string ToString() => Id;

    public static IReadOnlyList<RealQuote> All { get; } = Load();

    public static RealQuote Get(string id) => All.Single(q => q.Id == id);

    private static List<RealQuote> Load()
    {
        var result = new List<RealQuote>();
        foreach (string sidecar in Directory.GetFiles(RepoPaths.Quotes, "*.quote.json").Order(StringComparer.Ordinal))
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(sidecar));
            JsonElement root = doc.RootElement;
            if (!root.TryGetProperty("files", out JsonElement files) || !files.TryGetProperty("ak_public", out JsonElement akFile)
                || !akFile.GetString()!.EndsWith(".tpmt_public", StringComparison.Ordinal))
            {
                continue; // TPM 1.2 material: not a TPM 2.0 quote.
            }

            string prefix = Path.GetFileName(sidecar)[..^".quote.json".Length];
            byte[] ak = Read(akFile.GetString()!);
            byte[] nonce = Convert.FromHexString(root.GetProperty("nonce_hex").GetString()!);
            if (root.TryGetProperty("quotes", out JsonElement quotes))
            {
                foreach (JsonElement q in quotes.EnumerateArray())
                {
                    string bank = q.GetProperty("bank").GetString()!;
                    Dictionary<int, byte[]> pcrs = ReadPcrs(q.GetProperty("pcrs"));
                    result.Add(new RealQuote($"{prefix}.{bank}", ak, Read(q.GetProperty("attest_file").GetString()!),
                        Read(q.GetProperty("signature_file").GetString()!), nonce, ReadSelection(q.GetProperty("pcrSelection")),
                        ToValues(Bank(bank), pcrs), pcrs));
                }
            }
            else
            {
                JsonElement q = root.GetProperty("quote");
                JsonElement selection = q.GetProperty("pcrSelection");
                string bank = selection.EnumerateObject().Single().Name;
                Dictionary<int, byte[]> pcrs = ReadPcrs(q.GetProperty("pcrs").GetProperty(bank));
                result.Add(new RealQuote($"{prefix}.{bank}", ak, Read(files.GetProperty("quote_attest").GetString()!),
                    Read(files.GetProperty("quote_signature").GetString()!), nonce, ReadSelection(selection),
                    ToValues(Bank(bank), pcrs), pcrs));
            }
        }

        return result;
    }

    private static byte[] Read(string file) => File.ReadAllBytes(Path.Combine(RepoPaths.Quotes, file));

    public static TpmAlgId Bank(string name) =>
        TpmAlgorithms.TryParsePcrBank(name, out TpmAlgId alg) ? alg : throw new InvalidDataException($"unknown bank {name}");

    private static TpmlPcrSelection ReadSelection(JsonElement selection) => new(
        selection.EnumerateObject().Select(b =>
            TpmsPcrSelection.FromIndexes(Bank(b.Name), b.Value.EnumerateArray().Select(i => i.GetInt32()).ToArray())));

    private static Dictionary<int, byte[]> ReadPcrs(JsonElement pcrs) =>
        pcrs.EnumerateObject().ToDictionary(p => int.Parse(p.Name), p => Convert.FromHexString(p.Value.GetString()!));

    private static PcrValues ToValues(TpmAlgId bank, Dictionary<int, byte[]> pcrs)
    {
        var values = new PcrValues();
        foreach ((int pcr, byte[] value) in pcrs)
        {
            values.Set(bank, pcr, value);
        }

        return values;
    }
}
