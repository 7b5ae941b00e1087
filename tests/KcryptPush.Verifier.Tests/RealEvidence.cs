using System.Security.Cryptography;
using System.Text.Json;
using KcryptPush.Tpm.Structures;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// The real GCE COS 85 attestation in testdata/: AK public, the sha256 quote over PCR 0-23
/// with nonce 9009, its PCR values, and the matching event log gcp-cos85-sev-attested.bin.
/// </summary>
internal static class RealEvidence
{
    public const string Prefix = "gce-cos85-nonce9009";

    public static byte[] Nonce { get; } = [0x90, 0x09];

    public static byte[] AkPublic { get; } = File.ReadAllBytes(Path.Combine(RepoPaths.Quotes, $"{Prefix}.ak_pub.tpmt_public"));

    public static byte[] AkName { get; } = TpmtPublic.Parse(AkPublic).ComputeName();

    public static byte[] Attest { get; } = File.ReadAllBytes(Path.Combine(RepoPaths.Quotes, $"{Prefix}.sha256.tpms_attest"));

    public static byte[] Signature { get; } = File.ReadAllBytes(Path.Combine(RepoPaths.Quotes, $"{Prefix}.sha256.tpmt_signature"));

    public static byte[] EventLog { get; } = File.ReadAllBytes(Path.Combine(RepoPaths.EventLogs, "gcp-cos85-sev-attested.bin"));

    public static byte[] EventLogSha256 { get; } = SHA256.HashData(EventLog);

    public static IReadOnlyDictionary<int, byte[]> Sha256Pcrs { get; } = LoadPcrs();

    /// <summary>The quote's TPMS_CLOCK_INFO.</summary>
    public static TpmsClockInfo Clock { get; } = TpmsAttest.Parse(Attest).ClockInfo;

    private static Dictionary<int, byte[]> LoadPcrs()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepoPaths.Quotes, $"{Prefix}.quote.json")));
        JsonElement q = doc.RootElement.GetProperty("quotes").EnumerateArray().Single(e => e.GetProperty("bank").GetString() == "sha256");
        return q.GetProperty("pcrs").EnumerateObject().ToDictionary(p => int.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture), p => Convert.FromHexString(p.Value.GetString()!));
    }
}
