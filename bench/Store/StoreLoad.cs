using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Bench.Store;

/// <summary>
/// <c>bench -- store</c>: the verifier store's share of a steady attestation, in process, without
/// the broker: each unit reads the node, claims its challenge, issues the next one, touches the
/// known log, appends history and saves the state, as the pipeline does for a passing node that
/// sends only its log's digest. Separates the store's cost from MassTransit's in the load
/// generator's figure.
/// </summary>
internal static class StoreLoad
{
    public const string Usage = """
        usage: dotnet run -c Release --project bench -- store [--store litedb:PATH|POSTGRES] [--nodes 1000]
                 [--threads 16] [--duration 20s]
               dotnet run -c Release --project bench -- store --populate N --store litedb:PATH|POSTGRES [--threads 16]
               dotnet run -c Release --project bench -- store --scan --store litedb:PATH|POSTGRES
          --populate  only enrol N nodes into the store, as NodeEnrolled does, and keep it (for a verifier
                      started on it: scripts/load.sh -b FILE)
          --scan      only time the fleet-wide reads (silence candidates, counts, outbox) on the store, read-only
          --store     Verifier:Store syntax (default litedb: a new file in a temporary directory)
          --nodes     enrolled nodes (default 1000)
          --threads   concurrent units, as the verifier's consumers run them (default 16)
          --duration  measured time after a 3 s warm-up (default 20s)
        Prints units committed per second, the process's CPU-µs and bytes written per unit and the unit latency.
        """;

    public static int Run(string[] args)
    {
        string? setting = null;
        int nodes = 1000, threads = 16, populate = 0;
        bool scan = false;
        TimeSpan duration = TimeSpan.FromSeconds(20);
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--store" when value is not null: setting = value; i++; break;
                case "--nodes" when int.TryParse(value, CultureInfo.InvariantCulture, out int n) && n > 0: nodes = n; i++; break;
                case "--populate" when int.TryParse(value, CultureInfo.InvariantCulture, out int p) && p > 0: populate = p; i++; break;
                case "--threads" when int.TryParse(value, CultureInfo.InvariantCulture, out int t) && t > 0: threads = t; i++; break;
                case "--duration" when KcryptPush.Contracts.Text.Durations.TryParse(value, out TimeSpan d):
                    duration = d; i++; break;
                case "--scan": scan = true; break;
                case "-h" or "--help": Console.WriteLine(Usage); return 0;
                default: Console.Error.WriteLine($"store: bad argument '{args[i]}'\n{Usage}"); return 2;
            }
        }

        if (scan)
        {
            if (setting is null)
            {
                Console.Error.WriteLine($"store: --scan needs --store\n{Usage}");
                return 2;
            }

            return StoreScan.Run(setting);
        }

        if (populate > 0)
        {
            if (setting is null)
            {
                Console.Error.WriteLine($"store: --populate needs --store\n{Usage}");
                return 2;
            }

            return StorePopulate.Run(setting, populate, threads);
        }

        string? tempDir = null;
        if (setting is null)
        {
            tempDir = Directory.CreateTempSubdirectory("kcrypt-store-bench-").FullName;
            setting = "litedb:" + Path.Combine(tempDir, "verifier.db");
        }

        try
        {
            using IVerifierStore store = VerifierStores.Open(setting, new VerifierStoreOptions());
            return Measure(store, nodes, threads, duration);
        }
        finally
        {
            if (tempDir is not null)
            {
                Directory.Delete(tempDir, recursive: true);
            }
        }
    }

    private static int Measure(IVerifierStore store, int nodes, int threads, TimeSpan duration)
    {
        byte[] logSha = SHA256.HashData("log"u8);
        var hashes = new string[nodes];
        var challenges = new Guid[nodes];
        Stopwatch enrol = Stopwatch.StartNew();
        for (int i = 0; i < nodes; i++)
        {
            hashes[i] = Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i)));
            using IVerifierUnit unit = store.BeginNode(hashes[i]);
            DateTime now = DateTime.UtcNow;
            unit.SaveNode(new VerifierNode { TpmHash = hashes[i], AkPublic = RandomNumberGenerator.GetBytes(90), AkName = RandomNumberGenerator.GetBytes(34), EkPublic = RandomNumberGenerator.GetBytes(90), Hostname = "node" + i, EnrolledAt = now, CreatedAt = now, UpdatedAt = now });
            NodeAttestation rec = unit.GetOrNewAttestation(now);
            rec.State = KcryptPush.Contracts.V1.NodeStates.Trusted;
            unit.Save(rec);
            unit.StoreLog(logSha, RandomNumberGenerator.GetBytes(38_000), now);
            challenges[i] = Issue(unit, now);
            unit.Commit();
        }

        Console.Error.WriteLine($"store: {store.Description}: {nodes} nodes enrolled in {enrol.Elapsed.TotalSeconds:F1}s; {threads} threads");
        long units = 0;
        var latencies = new List<double>[threads];
        bool measuring = false;
        using var stop = new CancellationTokenSource();
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int me = t;
            latencies[me] = [];
            workers[t] = new Thread(() =>
            {
                var random = new Random(me);
                while (!stop.IsCancellationRequested)
                {
                    // Each thread owns the nodes i % threads == me, as one node's messages are
                    // judged one at a time.
                    int i = me + (threads * random.Next((nodes - me + threads - 1) / threads));
                    long start = Stopwatch.GetTimestamp();
                    Attest(store, hashes[i], ref challenges[i], logSha);
                    if (Volatile.Read(ref measuring))
                    {
                        latencies[me].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                        Interlocked.Increment(ref units);
                    }
                }
            }) { IsBackground = true };
            workers[t].Start();
        }

        Thread.Sleep(3000);
        TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        long written0 = BytesWritten();
        Stopwatch wall = Stopwatch.StartNew();
        Volatile.Write(ref measuring, true);
        Thread.Sleep(duration);
        Volatile.Write(ref measuring, false);
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        long written = BytesWritten() - written0;
        double seconds = wall.Elapsed.TotalSeconds;
        stop.Cancel();
        foreach (Thread w in workers)
        {
            w.Join();
        }

        long n = Interlocked.Read(ref units);
        double[] all = latencies.SelectMany(l => l).Order().ToArray();
        double Pct(double p) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(p * all.Length))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"store: {n} units in {seconds:F1}s = {n / seconds:F0}/s; CPU {cpu.TotalSeconds:F1}s = {cpu.TotalMicroseconds / Math.Max(1, n):F0} µs per unit; {written / 1024.0 / Math.Max(1, n):F1} KiB written per unit; latency median {Pct(0.5):F2} ms, p99 {Pct(0.99):F2} ms"));
        return 0;
    }

    // Bytes the process handed to write(2) and friends (/proc/self/io wchar): the store's I/O per unit
    // does not depend on how busy the machine is, as CPU time and latency do.
    private static long BytesWritten()
    {
        string? line = File.Exists("/proc/self/io") ? File.ReadLines("/proc/self/io").FirstOrDefault(l => l.StartsWith("wchar:", StringComparison.Ordinal)) : null;
        return line is null ? 0 : long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
    }

    private static void Attest(IVerifierStore store, string hash, ref Guid challenge, byte[] logSha)
    {
        using IVerifierUnit unit = store.BeginNode(hash);
        DateTime now = DateTime.UtcNow;
        NodeAttestation rec = unit.GetOrNewAttestation(now);
        ChallengeRecord used = unit.FindChallenge(challenge) ?? throw new InvalidOperationException($"challenge {challenge} of {hash} is gone");
        used.UsedAt = now;
        used.SubmissionDigest = RandomNumberGenerator.GetBytes(32);
        unit.PutChallenge(used);
        EventLogRecord log = unit.FindLog(logSha) ?? throw new InvalidOperationException($"the log of {hash} is gone");
        unit.TouchLog(log, now);
        rec.LastClock += 1000;
        rec.AttestationsPassed++;
        rec.LastAttestationAt = now;
        rec.LastEvidenceAt = now;
        rec.LastVerdict = "pass";
        unit.Save(rec);
        unit.AddHistory(new HistoryRecord { TpmHash = hash, At = now, ChallengeId = used.Id, Verdict = "pass", Clock = rec.LastClock });
        challenge = Issue(unit, now);
        unit.Commit();
    }

    private static Guid Issue(IVerifierUnit unit, DateTime now)
    {
        var c = new ChallengeRecord
        {
            Id = Guid.NewGuid(),
            TpmHash = unit.TpmHash,
            Nonce = RandomNumberGenerator.GetBytes(32),
            Selection = [new BankSelectionRecord { Bank = "sha256", Pcrs = [.. Enumerable.Range(0, 24)] }],
            IssuedAt = now,
            ExpiresAt = now.AddMinutes(2),
        };
        unit.PutChallenge(c);
        return c.Id;
    }
}
