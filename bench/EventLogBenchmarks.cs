using BenchmarkDotNet.Attributes;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Replay;

namespace KcryptPush.Bench;

/// <summary>Parse + replay of a real 38 KB crypto-agile log (106 events, 3 banks: sha1, sha256,
/// sha384), every bank replayed. Target: median
/// &lt;= 100 µs on one core.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class EventLogBenchmarks
{
    private byte[] _log = [];

    [GlobalSetup]
    public void Setup() => _log = File.ReadAllBytes(FindLog("gcp-ubuntu2104-nosb.bin"));

    [Benchmark]
    public ReplayResult ParseAndReplay() => EventLogReplayer.Replay(EventLogParser.Parse(_log));

    [Benchmark]
    public ReplayResult ParseAndReplaySha256Only() => EventLogReplayer.Replay(EventLogParser.Parse(_log), Sha256);

    [Benchmark]
    public ParsedEventLog ParseOnly() => EventLogParser.Parse(_log);

    private static readonly TcgAlgorithmId[] Sha256 = [TcgAlgorithmId.Sha256];

    /// <summary>The shared test data lives beside the repository (../shared); BenchmarkDotNet runs
    /// from a generated folder below bench/bin, so walk up to the directory holding KcryptPush.sln.</summary>
    private static string FindLog(string name)
    {
        string? overridePath = Environment.GetEnvironmentVariable("KCRYPT_EVENTLOG_DIR");
        if (overridePath is not null)
        {
            return Path.Combine(overridePath, name);
        }
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "KcryptPush.sln")))
                {
                    return Path.Combine(dir.FullName, "..", "shared", "testdata", "eventlogs", name);
                }
            }
        }
        throw new FileNotFoundException($"cannot find the repository root to locate {name}; set KCRYPT_EVENTLOG_DIR");
    }
}
