using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KcryptPush.Bench.Load;

/// <summary>The end of a load run: text (stdout, or stderr with <c>--json</c>) and one JSON object.</summary>
internal static class LoadReport
{
    private const double MiB = 1024.0 * 1024;

    public static void Print(TextWriter say, LoadOptions o, IReadOnlyList<LoadPhase> phases, VerifierProbe? probe, CeilingResult? ceiling, FloodLog? floodLog)
    {
        foreach (LoadPhase p in phases)
        {
            double seconds = p.Length.TotalSeconds;
            double[] sorted = p.SortedLatencies();
            string n = p.Name;
            say.WriteLine(I($"load: {n}: {p.Completed} attestations answered in {seconds:0.0}s by {o.Nodes} nodes = {p.Completed / seconds:0.0}/s")
                + (o.Rate is { } rate ? I($" (open loop: {p.Offered} offered at {rate:0.#}/s, {p.Millis.Count} of these answered, within the phase or after it)") : " (closed loop)"));
            say.WriteLine(I($"load: {n}: latency ms (from {(o.OpenLoop ? "the scheduled time" : "QuoteSubmitted")} to AttestationResult): ")
                + $"median {Ms(sorted, 0.5)}, p95 {Ms(sorted, 0.95)}, p99 {Ms(sorted, 0.99)}, max {Ms(sorted, 1)}"
                + (p.UnfinishedMillis.Count > 0 ? $" ({p.UnfinishedMillis.Count} unfinished counted at their age when abandoned: lower bounds)" : ""));
            say.WriteLine($"load: {n}: verdicts {Join(p.Verdicts)}; errors {p.Errors}{(p.Problems.Count > 0 ? $" ({Join(p.Problems)})" : "")}");
            if (p.Reasons.Count > 0)
            {
                say.WriteLine($"load: {n}: reasons {string.Join(", ", p.Reasons.OrderByDescending(r => r.Value).Take(5).Select(r => $"{r.Key} {r.Value}"))}");
            }

            if (probe is not null && CpuSeconds(p, probe) is { } cpu)
            {
                say.WriteLine(I($"load: {n}: verifier CPU {cpu:0.0}s = {cpu / seconds:0.00} cores, {CpuMicros(p, probe):0} µs per attestation")
                    + I($"{(p.Flood is null ? "" : " (the flood's work included)")}; RSS {p.RssStartBytes / MiB:0} MiB at the start, peak {p.PeakRssBytes / MiB:0} MiB"));
            }

            if (p.Flood is { } f)
            {
                say.WriteLine(I($"load: {n}: noisy neighbour sent {f.Quotes} QuoteSubmitted with {floodLog?.Size ?? 0}-byte logs ({f.Quotes / seconds:0.0}/s, {f.QuoteBytes / MiB / seconds:0.0} MiB/s of log) ")
                    + I($"and {f.ChallengeRequests} RequestChallenge ({f.ChallengeRequests / seconds:0}/s, {f.ChallengesGranted} granted); timeouts {f.Timeouts}, faults {f.Faults}"));
                say.WriteLine($"load: {n}: noisy neighbour's answers: {string.Join(", ", f.Outcomes.OrderByDescending(x => x.Value).Select(x => $"{x.Key} {x.Value}"))}");
            }
        }

        if (phases.FirstOrDefault(p => p.Name == "quiet") is { } quiet && phases.FirstOrDefault(p => p.Name == "flood") is { } flood)
        {
            double[] q = quiet.SortedLatencies(), f = flood.SortedLatencies();
            say.WriteLine(I($"load: noisy neighbour: normal nodes' p99 {Ms(q, 0.99)} ms quiet → {Ms(f, 0.99)} ms flood, median {Ms(q, 0.5)} → {Ms(f, 0.5)} ms, ")
                + I($"throughput {quiet.Completed / quiet.Length.TotalSeconds:0.0} → {flood.Completed / flood.Length.TotalSeconds:0.0}/s")
                + (probe is null ? "" : I($", verifier peak RSS {quiet.PeakRssBytes / MiB:0} → {flood.PeakRssBytes / MiB:0} MiB")));
        }

        say.WriteLine(I($"load: machine: {Environment.ProcessorCount} CPUs, 1-minute load average {LoadAverage():0.0} at the end (everything on the machine, the broker and this generator included)"));
        if (ceiling is not null)
        {
            say.WriteLine(I($"load: bare MassTransit request/response ceiling on this broker: {ceiling.PerSecond:0}/s with {o.Nodes} in flight, ")
                + $"median {Ms(ceiling.SortedMillis, 0.5)} ms, p99 {Ms(ceiling.SortedMillis, 0.99)} ms");
        }
    }

    /// <summary>The 1-minute load average (<c>/proc/loadavg</c>): other work on the machine skews latency.</summary>
    public static double? LoadAverage()
    {
        try
        {
            string text = File.ReadAllText("/proc/loadavg");
            return double.TryParse(text.Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static string Json(LoadOptions o, IReadOnlyList<LoadPhase> phases, VerifierProbe? probe, CeilingResult? ceiling, FloodLog? floodLog, double? loadBefore)
    {
        var root = new JsonObject
        {
            ["machine"] = new JsonObject
            {
                ["cpus"] = Environment.ProcessorCount,
                ["loadAverage1mAtStart"] = loadBefore,
                ["loadAverage1mAtEnd"] = LoadAverage(),
            },
            ["options"] = new JsonObject
            {
                ["broker"] = o.BrokerHost,
                ["nodes"] = o.Nodes,
                ["mode"] = o.OpenLoop ? "open" : "closed",
                ["ratePerSecond"] = o.Rate,
                ["ak"] = o.Ak == AkKind.Ecc ? "ecc-p256-ecdsa-sha256" : "rsa2048-rsassa-sha256",
                ["durationSeconds"] = o.Duration.TotalSeconds,
                ["warmupSeconds"] = o.Warmup.TotalSeconds,
                ["log"] = Path.GetFileName(o.LogPath),
                ["flood"] = o.Flood,
                ["floodInFlight"] = o.Flood ? o.FloodInFlight : null,
                ["floodLogBytes"] = o.Flood ? floodLog?.Size : null,
                ["floodLogPaddingEvents"] = o.Flood ? floodLog?.Events : null,
                ["verifierPid"] = o.VerifierPid,
            },
            ["verifier"] = probe is null ? null : new JsonObject
            {
                ["pid"] = probe.Pid,
                ["command"] = probe.Command,
                ["clockTicksPerSecond"] = probe.TicksPerSecond,
            },
            ["ceiling"] = ceiling is null ? null : new JsonObject
            {
                ["inFlight"] = o.Nodes,
                ["requests"] = ceiling.Requests,
                ["seconds"] = Round(ceiling.Took.TotalSeconds),
                ["perSecond"] = Round(ceiling.PerSecond),
                ["timeouts"] = ceiling.Timeouts,
                ["latencyMs"] = Latency(ceiling.SortedMillis),
            },
            ["phases"] = new JsonArray([.. phases.Select(p => (JsonNode?)Phase(p, probe))]),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonObject Phase(LoadPhase p, VerifierProbe? probe)
    {
        double seconds = p.Length.TotalSeconds;
        double[] sorted = p.SortedLatencies();
        FloodCounts? f = p.Flood;
        return new JsonObject
        {
            ["name"] = p.Name,
            ["seconds"] = Round(seconds),
            ["offered"] = p.Offered > 0 ? p.Offered : null,
            ["attestations"] = p.Completed,
            ["throughputPerSecond"] = Round(p.Completed / seconds),
            ["answeredOfPhase"] = p.Millis.Count,
            ["latencyMs"] = Latency(sorted),
            ["unfinishedInLatency"] = p.UnfinishedMillis.Count,
            ["verdicts"] = Counts(p.Verdicts),
            ["reasons"] = Counts(p.Reasons),
            ["problems"] = Counts(p.Problems),
            ["errors"] = p.Errors,
            ["verifierCpuSeconds"] = probe is null ? null : Round(CpuSeconds(p, probe)),
            ["verifierCpuMicrosPerAttestation"] = probe is null ? null : Round(CpuMicros(p, probe)),
            ["verifierRssStartMiB"] = probe is null ? null : Round(p.RssStartBytes / MiB),
            ["verifierPeakRssMiB"] = probe is null ? null : Round(p.PeakRssBytes / MiB),
            ["flood"] = f is null ? null : new JsonObject
            {
                ["quotes"] = f.Quotes,
                ["quotesPerSecond"] = Round(f.Quotes / seconds),
                ["logBytes"] = f.QuoteBytes,
                ["challengeRequests"] = f.ChallengeRequests,
                ["challengeRequestsPerSecond"] = Round(f.ChallengeRequests / seconds),
                ["challengesGranted"] = f.ChallengesGranted,
                ["timeouts"] = f.Timeouts,
                ["faults"] = f.Faults,
                ["answers"] = new JsonObject(f.Outcomes.Select(x => KeyValuePair.Create(x.Key, (JsonNode?)x.Value))),
            },
        };
    }

    private static double? CpuSeconds(LoadPhase p, VerifierProbe probe) =>
        p.CpuTicksStart is { } a && p.CpuTicksEnd is { } b ? probe.Seconds(b - a) : null;

    private static double? CpuMicros(LoadPhase p, VerifierProbe probe) =>
        CpuSeconds(p, probe) is { } s && p.Completed > 0 ? s * 1e6 / p.Completed : null;

    private static JsonObject Latency(IReadOnlyList<double> sorted) => new()
    {
        ["median"] = Round(Percentile.Of(sorted, 0.5)),
        ["p95"] = Round(Percentile.Of(sorted, 0.95)),
        ["p99"] = Round(Percentile.Of(sorted, 0.99)),
        ["max"] = Round(Percentile.Of(sorted, 1)),
    };

    private static JsonObject Counts(Dictionary<string, int> counts) =>
        new(counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value)));

    private static double? Round(double? v) => v is { } d && !double.IsNaN(d) && !double.IsInfinity(d) ? Math.Round(d, 2) : null;

    private static string Ms(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? "-" : Percentile.Of(sorted, q).ToString("0.0", CultureInfo.InvariantCulture);

    private static string Join(Dictionary<string, int> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
