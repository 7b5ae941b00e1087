using System.Text.Json;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Attestation.Tests.EventLog;

/// <summary>The shared real event logs and their sidecars; enumerated from the directory so new logs are covered.</summary>
internal static class SharedLogs
{
    public static IEnumerable<string> Names() =>
        Directory.GetFiles(RepoPaths.EventLogs, "*.bin").Select(p => Path.GetFileNameWithoutExtension(p)).Order(StringComparer.Ordinal);

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (string name in Names())
        {
            data.Add(name);
        }
        return data;
    }

    public static string BinPath(string name) => Path.Combine(RepoPaths.EventLogs, name + ".bin");

    public static byte[] Bytes(string name) => File.ReadAllBytes(BinPath(name));

    public static JsonElement Sidecar(string name)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepoPaths.EventLogs, name + ".pcrs.json")));
        return doc.RootElement.Clone();
    }

    /// <summary>bank name → PCR → lowercase hex, from a sidecar property such as "banks" or "naive_replay".</summary>
    public static Dictionary<string, Dictionary<int, string>> Banks(JsonElement sidecar, string property)
    {
        var result = new Dictionary<string, Dictionary<int, string>>();
        if (!sidecar.TryGetProperty(property, out JsonElement banks))
        {
            return result;
        }
        foreach (JsonProperty bank in banks.EnumerateObject())
        {
            result[bank.Name] = bank.Value.EnumerateObject().ToDictionary(p => int.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture), p => p.Value.GetString()!);
        }
        return result;
    }

    public static TpmAlgId AlgorithmOf(string bank) =>
        TpmAlgorithms.TryParseBankName(bank, out TpmAlgId alg) ? alg : throw new ArgumentException($"unknown bank {bank}", nameof(bank));

    /// <summary>The sidecar's values as "actual" PCRs for <c>ReplayVerifier</c>, merged with pcrs_not_in_log.</summary>
    public static IReadOnlyDictionary<TpmAlgId, IReadOnlyDictionary<int, byte[]>> Actual(JsonElement sidecar)
    {
        var actual = new Dictionary<TpmAlgId, Dictionary<int, byte[]>>();
        foreach (string property in new[] { "banks", "pcrs_not_in_log" })
        {
            foreach ((string bank, Dictionary<int, string> pcrs) in Banks(sidecar, property))
            {
                if (!actual.TryGetValue(AlgorithmOf(bank), out Dictionary<int, byte[]>? values))
                {
                    actual[AlgorithmOf(bank)] = values = [];
                }
                foreach ((int pcr, string hex) in pcrs)
                {
                    values[pcr] = Convert.FromHexString(hex);
                }
            }
        }
        return actual.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<int, byte[]>)kv.Value);
    }
}
