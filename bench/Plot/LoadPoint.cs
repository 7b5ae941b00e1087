using System.Text.Json.Nodes;

namespace KcryptPush.Bench.Plot;

/// <summary>One open-loop run of the load generator, read from its <c>--json</c> report: its
/// "steady" phase and the bare round-trip ceiling measured in the same run.</summary>
public sealed record LoadPoint(double Offered, double Throughput, double Median, double P95, double P99, double? Ceiling,
    int Nodes, string Ak, int Cpus, double Seconds, double? LoadAtStart, double? LoadAtEnd)
{
    /// <summary>The latency percentile named <paramref name="key"/> (median, p95, p99), in ms.</summary>
    public double Latency(string key) => key switch
    {
        "median" => Median,
        "p95" => P95,
        "p99" => P99,
        _ => throw new ArgumentOutOfRangeException(nameof(key), key, "median, p95 or p99"),
    };

    /// <summary>Reads the report in <paramref name="path"/>.</summary>
    /// <exception cref="FormatException">Not an open-loop report with a steady phase.</exception>
    public static LoadPoint Read(string path)
    {
        JsonNode root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new FormatException("empty report");
        JsonNode options = root["options"] ?? throw new FormatException("no \"options\": not a 'bench load --json' report");
        double offered = options["ratePerSecond"]?.GetValue<double>()
            ?? throw new FormatException("a closed-loop run: plot open-loop runs (bench load --rate N/s)");
        JsonNode steady = root["phases"]?.AsArray().FirstOrDefault(p => (string?)p?["name"] == "steady")
            ?? throw new FormatException("no \"steady\" phase (a --flood run?)");
        JsonNode latency = steady["latencyMs"] ?? throw new FormatException("the steady phase has no latencyMs");
        return new LoadPoint(
            offered,
            Number(steady, "throughputPerSecond"),
            Number(latency, "median"),
            Number(latency, "p95"),
            Number(latency, "p99"),
            root["ceiling"]?["perSecond"]?.GetValue<double>(),
            options["nodes"]?.GetValue<int>() ?? 0,
            (string?)options["ak"] ?? "?",
            root["machine"]?["cpus"]?.GetValue<int>() ?? 0,
            Number(steady, "seconds"),
            root["machine"]?["loadAverage1mAtStart"]?.GetValue<double>(),
            root["machine"]?["loadAverage1mAtEnd"]?.GetValue<double>());
    }

    private static double Number(JsonNode node, string name) =>
        node[name]?.GetValue<double>() ?? throw new FormatException($"\"{name}\" is missing or null");
}
