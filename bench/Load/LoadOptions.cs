using System.Globalization;

namespace KcryptPush.Bench.Load;

/// <summary>Command line of <c>bench -- load</c>.</summary>
internal sealed record LoadOptions(string Broker, int Nodes, TimeSpan Duration, TimeSpan Warmup, string LogPath)
{
    public const string Usage = """
        usage: dotnet run -c Release --project bench -- load --broker URI [--nodes N] [--duration 60s] [--warmup 10s] [--log FILE]

        Simulated nodes (software keys, TPM-shaped quotes over a real event log) attest back to back
        against a running verifier: each enrols by publishing NodeEnrolled (as the registrar would, so
        use a test broker and its admin or registrar user), sends its first quote with the log, then
        only the log's digest. Prints attestations per second and the latency of each QuoteSubmitted
        → AttestationResult round trip (median, p95, p99) measured after the warm-up.
          --broker    amqp://user:pass@host:port/ of the verifier's broker (required)
          --nodes     simulated nodes attesting concurrently (default 50)
          --duration  measured time after the warm-up (default 60s)
          --warmup    enrolment, first quotes with the log, JIT (default 10s)
          --log       event log the nodes report (default testdata/eventlogs/gcp-ubuntu2104-nosb.bin)
        """;

    /// <summary>Parses the arguments after <c>load</c>; null (and a message on stderr) when they are bad.</summary>
    public static LoadOptions? Parse(string[] args, string defaultLog)
    {
        string? broker = null;
        int nodes = 50;
        TimeSpan duration = TimeSpan.FromSeconds(60), warmup = TimeSpan.FromSeconds(10);
        string log = defaultLog;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--broker" when value is not null: broker = value; i++; break;
                case "--nodes" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 10_000: nodes = n; i++; break;
                case "--duration" when TryDuration(value, out TimeSpan d) && d > TimeSpan.Zero: duration = d; i++; break;
                case "--warmup" when TryDuration(value, out TimeSpan w): warmup = w; i++; break;
                case "--log" when value is not null: log = value; i++; break;
                case "--help" or "-h": Console.WriteLine(Usage); return null;
                default:
                    Console.Error.WriteLine($"bench load: bad argument '{args[i]}'{(value is null ? "" : $" {value}")}");
                    Console.Error.WriteLine(Usage);
                    return null;
            }
        }

        if (broker is null)
        {
            Console.Error.WriteLine("bench load: --broker is required");
            Console.Error.WriteLine(Usage);
            return null;
        }

        return new LoadOptions(broker, nodes, duration, warmup, log);
    }

    private static bool TryDuration(string? text, out TimeSpan value)
    {
        value = default;
        if (text is null || text.Length < 2)
        {
            return false;
        }

        (string number, double unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text[^1] switch { 's' => (text[..^1], 1.0), 'm' => (text[..^1], 60.0), _ => (text, 1.0) };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v < 0)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(v * unit);
        return true;
    }
}
