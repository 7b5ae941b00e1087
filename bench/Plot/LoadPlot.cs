using System.Globalization;
using System.Text;

namespace KcryptPush.Bench.Plot;

/// <summary>
/// <c>bench plot --out FILE.svg RUN.json...</c>: throughput and latency percentiles against offered
/// load, from the load generator's <c>--json</c> reports of open-loop runs (one run per offered
/// rate; the "measured" phase of each). SVG, so no drawing library is needed;
/// <c>scripts/perf-sweep.sh</c> turns it into the README's PNG with headless chromium.
/// </summary>
public static class LoadPlot
{
    private const int Width = 1130, Height = 480, PanelWidth = 470, PanelHeight = 340, Top = 70, Left1 = 80, Left2 = 620;

    private static readonly (string Key, string Label, string Colour)[] Percentiles =
        [("median", "median", "#1f77b4"), ("p95", "p95", "#ff7f0e"), ("p99", "p99", "#d62728")];

    /// <summary>Runs the command; 0 when the SVG was written, 2 on a bad argument or report.</summary>
    public static int Run(string[] args)
    {
        string? output = null;
        var inputs = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out" when i + 1 < args.Length: output = args[++i]; break;
                case "--help" or "-h": Console.WriteLine(Usage); return 0;
                case var a when a.StartsWith('-'): return Bad($"unknown option '{a}'");
                default: inputs.Add(args[i]); break;
            }
        }

        if (output is null || inputs.Count == 0)
        {
            return Bad("--out FILE.svg and at least one report are required");
        }

        var points = new List<LoadPoint>();
        foreach (string input in inputs)
        {
            try
            {
                points.Add(LoadPoint.Read(input));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or System.Text.Json.JsonException or InvalidOperationException)
            {
                return Bad($"{input}: {e.Message}");
            }
        }

        File.WriteAllText(output, Svg(points.OrderBy(p => p.Offered).ToList()));
        Console.Error.WriteLine($"bench plot: {points.Count} runs -> {output}");
        return 0;
    }

    private const string Usage = """
        usage: bench plot --out FILE.svg RUN.json...
          RUN.json  reports of 'bench load --rate N/s --json' (one per offered rate; open loop)
          --out     the SVG to write: throughput and latency median/p95/p99 against offered load
        """;

    private static int Bad(string message)
    {
        Console.Error.WriteLine($"bench plot: {message}");
        Console.Error.WriteLine(Usage);
        return 2;
    }

    /// <summary>The SVG of <paramref name="points"/> (sorted by offered rate).</summary>
    public static string Svg(IReadOnlyList<LoadPoint> points)
    {
        double maxRate = NiceCeiling(points.Max(p => Math.Max(p.Offered, Math.Max(p.Throughput, p.Ceiling ?? 0))));
        double maxLatency = points.Max(p => p.P99);
        double minLatency = Math.Max(0.1, points.Min(p => p.Median));
        (double logLow, double logHigh) = (Math.Floor(Math.Log10(minLatency)), Math.Ceiling(Math.Log10(Math.Max(maxLatency, minLatency * 10))));

        var svg = new StringBuilder();
        svg.Append(I($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"13\">"));
        svg.Append(I($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>"));
        LoadPoint first = points[0];
        svg.Append(Text(Width / 2.0, 24, $"KcryptPush verifier, open loop, {first.Nodes} simulated nodes ({first.Ak}), {first.Cpus} CPUs, broker on the same machine", "middle", 15));
        double[] loads = [.. points.SelectMany(p => new[] { p.LoadAtStart, p.LoadAtEnd }).Where(l => l is not null).Select(l => l!.Value)];
        string load = loads.Length == 0 ? "" : I($"; 1-minute load average {loads.Min():0.0} to {loads.Max():0.0}");
        svg.Append(Text(Width / 2.0, 44, I($"{points.Count} runs of {first.Seconds:0} s each, one per offered rate, a fresh broker and verifier each{load}"), "middle", 12, "#555"));

        // Left: achieved against offered, with the y = x line (everything offered is answered) and
        // the bare MassTransit round trip measured in the same runs.
        Func<double, double> x1 = r => Left1 + r / maxRate * PanelWidth;
        Func<double, double> y1 = r => Top + PanelHeight - r / maxRate * PanelHeight;
        Axes(svg, Left1, "offered attestations/s", "answered attestations/s");
        foreach (double t in Ticks(maxRate))
        {
            svg.Append(Line(x1(t), Top + PanelHeight, x1(t), Top + PanelHeight + 5, "#000"));
            svg.Append(Text(x1(t), Top + PanelHeight + 20, Number(t), "middle"));
            svg.Append(Line(Left1, y1(t), Left1 + PanelWidth, y1(t), "#eee"));
            svg.Append(Text(Left1 - 8, y1(t) + 4, Number(t), "end"));
        }

        svg.Append(Line(x1(0), y1(0), x1(maxRate), y1(maxRate), "#999", dash: true));
        if (points.Where(p => p.Ceiling is not null).Select(p => p.Ceiling!.Value).DefaultIfEmpty().Max() is > 0 and var ceiling)
        {
            svg.Append(Line(Left1, y1(ceiling), Left1 + PanelWidth, y1(ceiling), "#2ca02c", dash: true));
            svg.Append(Text(Left1 + 6, y1(ceiling) - 6, I($"bare MassTransit round trip, best of the runs: {ceiling:0}/s"), "start", 12, "#2ca02c"));
        }

        svg.Append(Polyline(points.Select(p => (x1(p.Offered), y1(p.Throughput))), "#1f77b4"));

        // Right: latency percentiles (log scale), from the scheduled time of each attestation.
        Func<double, double> x2 = r => Left2 + r / maxRate * PanelWidth;
        Func<double, double> y2 = ms => Top + PanelHeight - (Math.Max(Math.Log10(ms), logLow) - logLow) / (logHigh - logLow) * PanelHeight;
        Axes(svg, Left2, "offered attestations/s", "latency, ms (log scale)");
        foreach (double t in Ticks(maxRate))
        {
            svg.Append(Line(x2(t), Top + PanelHeight, x2(t), Top + PanelHeight + 5, "#000"));
            svg.Append(Text(x2(t), Top + PanelHeight + 20, Number(t), "middle"));
        }

        for (double e = logLow; e <= logHigh; e++)
        {
            double ms = Math.Pow(10, e);
            svg.Append(Line(Left2, y2(ms), Left2 + PanelWidth, y2(ms), "#eee"));
            svg.Append(Text(Left2 - 8, y2(ms) + 4, Number(ms), "end"));
        }

        for (int i = 0; i < Percentiles.Length; i++)
        {
            (string key, string label, string colour) = Percentiles[i];
            svg.Append(Polyline(points.Select(p => (x2(p.Offered), y2(p.Latency(key)))), colour));
            svg.Append(Line(Left2 + 20 + i * 80, Top + 12, Left2 + 40 + i * 80, Top + 12, colour));
            svg.Append(Text(Left2 + 45 + i * 80, Top + 16, label, "start"));
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    private static void Axes(StringBuilder svg, double left, string xLabel, string yLabel)
    {
        svg.Append(Line(left, Top, left, Top + PanelHeight, "#000"));
        svg.Append(Line(left, Top + PanelHeight, left + PanelWidth, Top + PanelHeight, "#000"));
        svg.Append(Text(left + PanelWidth / 2.0, Top + PanelHeight + 42, xLabel, "middle"));
        svg.Append(I($"<text x=\"{left - 58}\" y=\"{Top + PanelHeight / 2.0}\" text-anchor=\"middle\" transform=\"rotate(-90 {left - 58} {Top + PanelHeight / 2.0})\">{Escape(yLabel)}</text>"));
    }

    // Round tick steps (1, 2, 5 × 10^k), about five of them.
    private static IEnumerable<double> Ticks(double max)
    {
        double raw = max / 5, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        for (double t = 0; t <= max + step / 1000; t += step)
        {
            yield return t;
        }
    }

    private static double NiceCeiling(double value)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(value, 1))));
        return new[] { 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 }.Select(m => m * magnitude).First(c => c >= value);
    }

    private static string Polyline(IEnumerable<(double X, double Y)> points, string colour)
    {
        var list = points.ToList();
        string path = string.Join(" ", list.Select(p => I($"{p.X:0.#},{p.Y:0.#}")));
        return I($"<polyline points=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>")
            + string.Concat(list.Select(p => I($"<circle cx=\"{p.X:0.#}\" cy=\"{p.Y:0.#}\" r=\"3.5\" fill=\"{colour}\"/>")));
    }

    private static string Line(double x1, double y1, double x2, double y2, string colour, bool dash = false) =>
        I($"<line x1=\"{x1:0.#}\" y1=\"{y1:0.#}\" x2=\"{x2:0.#}\" y2=\"{y2:0.#}\" stroke=\"{colour}\"{(dash ? " stroke-dasharray=\"6 4\"" : "")}/>");

    private static string Text(double x, double y, string text, string anchor, int size = 13, string colour = "#000") =>
        I($"<text x=\"{x:0.#}\" y=\"{y:0.#}\" text-anchor=\"{anchor}\" font-size=\"{size}\" fill=\"{colour}\">{Escape(text)}</text>");

    private static string Number(double v) => v >= 1 ? v.ToString("#,0", CultureInfo.InvariantCulture) : v.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
