using System.Globalization;
using System.Reflection;
using System.Text.Json;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Fuzz;

/// <summary>
/// The real GCE quote testdata/quotes/gce-cos85-nonce9009 (sha256 bank; embedded in the assembly):
/// the fixed half of the attest, signature and public targets, so that a fuzzed structure is
/// checked against genuine counterparts (a fuzzed signature against the real AK and quote, and so on).
/// </summary>
internal sealed class RealQuote
{
    private const string Prefix = "gce-cos85-nonce9009";

    private static RealQuote? _instance;

    private RealQuote()
    {
        AkPublic = Resource($"{Prefix}.ak_pub.tpmt_public");
        Attest = Resource($"{Prefix}.sha256.tpms_attest");
        Signature = Resource($"{Prefix}.sha256.tpmt_signature");
        TpmtPublic ak = TpmtPublic.Parse(AkPublic);
        Verifier = new QuoteVerifier(ak);
        TpmsAttest parsed = TpmsAttest.Parse(Attest);
        Nonce = parsed.ExtraData;
        QualifiedSigner = parsed.QualifiedSigner;
        Selection = parsed.Quote!.PcrSelect;

        using JsonDocument sidecar = JsonDocument.Parse(Resource($"{Prefix}.quote.json"));
        Pcrs = new PcrValues();
        foreach (JsonElement quote in sidecar.RootElement.GetProperty("quotes").EnumerateArray())
        {
            if (!TpmAlgorithms.TryParsePcrBank(quote.GetProperty("bank").GetString(), out TpmAlgId bank))
            {
                continue;
            }
            foreach (JsonProperty pcr in quote.GetProperty("pcrs").EnumerateObject())
            {
                Pcrs.Set(bank, int.Parse(pcr.Name, CultureInfo.InvariantCulture), Convert.FromHexString(pcr.Value.GetString()!));
            }
        }
        SidecarJson = Resource($"{Prefix}.quote.json");
    }

    /// <summary>Loaded once per process (the fuzz loop reuses it).</summary>
    public static RealQuote Instance => _instance ??= new RealQuote();

    public byte[] AkPublic { get; }
    public byte[] Attest { get; }
    public byte[] Signature { get; }
    public byte[] Nonce { get; }
    public byte[] QualifiedSigner { get; }
    public TpmlPcrSelection Selection { get; }
    public PcrValues Pcrs { get; }
    public QuoteVerifier Verifier { get; }
    public byte[] SidecarJson { get; }

    /// <summary>An embedded copy of a file of testdata/quotes (see the .csproj).</summary>
    public static byte[] Resource(string name)
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"resource {name} is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
