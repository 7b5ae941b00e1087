using System.Globalization;
using KcryptPush.Contracts.Text;

namespace KcryptPush.Bench.Load;

/// <summary>Command line of <c>bench -- load</c>.</summary>
/// <param name="Broker">amqp:// URI of the verifier's broker.</param>
/// <param name="Nodes">Normal simulated nodes.</param>
/// <param name="Duration">Each measured phase.</param>
/// <param name="Warmup">After enrolment, before the first phase.</param>
/// <param name="LogPath">The event log the nodes report.</param>
/// <param name="Rate">Open loop: attestations offered per second across the fleet; null: closed loop.</param>
/// <param name="Ak">The simulated AK (and EK) type.</param>
/// <param name="VerifierPid">The verifier process to account CPU and RSS of; null: not measured.</param>
/// <param name="Json">One JSON object on stdout; the progress and the text report go to stderr.</param>
/// <param name="Flood">A quiet phase, then a phase with a noisy neighbour.</param>
/// <param name="FloodInFlight">The noisy neighbour's concurrent QuoteSubmitted, and concurrent RequestChallenge.</param>
/// <param name="FloodLogBytes">The size of the noisy neighbour's event log (the verifier's Verifier:MaxEventLogBytes).</param>
/// <param name="Ceiling">How long to measure a bare MassTransit request/response on the same broker; zero: not measured.</param>
internal sealed record LoadOptions(
    string Broker, int Nodes, TimeSpan Duration, TimeSpan Warmup, string LogPath, double? Rate, AkKind Ak, int? VerifierPid,
    bool Json, bool Flood, int FloodInFlight, int FloodLogBytes, TimeSpan Ceiling)
{
    public const string Usage = """
        usage: dotnet run -c Release --project bench -- load --broker URI [--nodes N] [--duration 60s] [--warmup 10s]
                 [--rate N/s] [--ak ecc|rsa] [--verifier-pid PID] [--flood [--flood-in-flight N] [--flood-log-bytes N]]
                 [--ceiling 5s] [--json] [--log FILE]

        Simulated nodes (software keys, TPM-shaped quotes over a real event log) attest against a
        running verifier: each enrols by publishing NodeEnrolled (as the registrar would, so use a test
        broker and its admin user), sends its first quote with the log, then only the log's digest.
        Prints attestations per second and the latency of each attestation (QuoteSubmitted →
        AttestationResult, plus RequestChallenge when a node holds no challenge) over the measured phase.
        The verifier limits each node's quotes (Verifier:QuotesPerMinute, default 30): for back-to-back
        load start it with e.g. KCRYPTPUSH_Verifier__QuotesPerMinute=100000 (scripts/load.sh does).
          --broker           amqp://user:pass@host:port/ of the verifier's broker (required)
          --nodes            simulated nodes (default 50)
          --duration         each measured phase (default 60s)
          --warmup           after enrolment and the first quotes with the log, before measuring (default 10s)
          --rate N/s         open loop: N attestations per second across the fleet, on a clock, each
                             taken by an idle node (queued while all are busy); latency counts from
                             the scheduled time, so a slow verifier is not hidden by sending less.
                             Default: closed loop (each node attests back to back)
          --ak ecc|rsa       AK type: ECC P-256 ECDSA-SHA256 (default, EK L-2) or RSA 2048 RSASSA-SHA256 (EK L-1)
          --verifier-pid P   account the verifier's CPU (utime+stime, /proc/P/stat) and RSS (VmRSS) per
                             phase: CPU-µs per attestation and peak RSS (the kcrypt-push-verifier process,
                             not a `dotnet run` wrapper)
          --flood            a quiet phase, then a flood phase in which one more node is a noisy
                             neighbour: QuoteSubmitted with a --flood-log-bytes event log (the real log
                             padded with EV_NO_ACTION events, new digest each time) and RequestChallenge,
                             each as fast as the verifier answers; the report compares the normal
                             nodes' latency in the two phases
          --flood-in-flight  the neighbour's concurrent quotes, and concurrent challenge requests (default 8)
          --flood-log-bytes  its event log size (default 1048576, the verifier's default Verifier:MaxEventLogBytes)
          --ceiling          measure a bare MassTransit request/response on the same broker, as many
                             in flight as nodes, for this long before enrolling (default 5s; 0 skips)
          --json             one JSON object on stdout (progress and text on stderr)
          --log              event log the nodes report (default testdata/eventlogs/gcp-ubuntu2104-nosb.bin)
        Progress is printed every 5 s.
        """;

    /// <summary>Whether the normal nodes run open loop.</summary>
    public bool OpenLoop => Rate is not null;

    /// <summary>Parses the arguments after <c>load</c>; null (and a message on stderr) when they are bad.</summary>
    public static LoadOptions? Parse(string[] args, string defaultLog)
    {
        string? broker = null;
        int nodes = 50, floodInFlight = 8, floodLogBytes = 1 << 20;
        int? pid = null;
        double? rate = null;
        bool json = false, flood = false;
        AkKind ak = AkKind.Ecc;
        TimeSpan duration = TimeSpan.FromSeconds(60), warmup = TimeSpan.FromSeconds(10), ceiling = TimeSpan.FromSeconds(5);
        string log = defaultLog;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--broker" when value is not null: broker = value; i++; break;
                case "--nodes" when TryInt(value, 1, 10_000, out int n): nodes = n; i++; break;
                case "--duration" when TryDuration(value, out TimeSpan d): duration = d; i++; break;
                case "--warmup" when TryDuration(value, out TimeSpan w, zeroIsOff: true): warmup = w; i++; break;
                case "--rate" when TryRate(value, out double r): rate = r; i++; break;
                case "--ak" when value is "ecc" or "rsa": ak = value == "ecc" ? AkKind.Ecc : AkKind.Rsa; i++; break;
                case "--verifier-pid" when TryInt(value, 1, int.MaxValue, out int p): pid = p; i++; break;
                case "--json": json = true; break;
                case "--flood": flood = true; break;
                case "--flood-in-flight" when TryInt(value, 1, 1_000, out int f): floodInFlight = f; i++; break;
                case "--flood-log-bytes" when TryInt(value, 64 * 1024, 64 << 20, out int b): floodLogBytes = b; i++; break;
                case "--ceiling" when TryDuration(value, out TimeSpan c, zeroIsOff: true): ceiling = c; i++; break;
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

        return new LoadOptions(broker, nodes, duration, warmup, log, rate, ak, pid, json, flood, floodInFlight, floodLogBytes, ceiling);
    }

    /// <summary>The broker as host:port, without credentials (for reports).</summary>
    public string BrokerHost => Uri.TryCreate(Broker, UriKind.Absolute, out Uri? u) ? $"{u.Host}:{u.Port}" : "the broker";

    private static bool TryInt(string? text, int min, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    // "200/s" or "200".
    private static bool TryRate(string? text, out double value)
    {
        value = 0;
        if (text is null)
        {
            return false;
        }

        string number = text.EndsWith("/s", StringComparison.Ordinal) ? text[..^2] : text;
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value is > 0 and <= 1_000_000;
    }

    // The one grammar of every command line (Durations: 60s, 500ms, 2m, 1h, hh:mm:ss; at most 7 days).
    // A zero is a duration here only where the usage says it switches something off (--warmup, --ceiling).
    private static bool TryDuration(string? text, out TimeSpan value, bool zeroIsOff = false)
    {
        if (zeroIsOff && text?.Trim() is "0" or "0s")
        {
            value = TimeSpan.Zero;
            return true;
        }

        return Durations.TryParse(text, out value);
    }
}
