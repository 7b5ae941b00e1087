using BenchmarkDotNet.Attributes;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Replay;
using KcryptPush.Tpm.Types;

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

    private static readonly TpmAlgId[] Sha256 = [TpmAlgId.Sha256];

    /// <summary>The log in the repository's testdata/eventlogs (found by <see cref="BenchData"/>),
    /// or in KCRYPT_EVENTLOG_DIR when that is set.</summary>
    private static string FindLog(string name)
    {
        string? overridePath = Environment.GetEnvironmentVariable("KCRYPT_EVENTLOG_DIR");
        return overridePath is not null ? Path.Combine(overridePath, name) : BenchData.TestData("eventlogs", name);
    }
}
