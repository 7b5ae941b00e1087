using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.EventLog.Decoding;
using KcryptPush.Attestation.Replay;
using Xunit.Abstractions;

namespace KcryptPush.Attestation.Tests.EventLog;

/// <summary>
/// Mutates every shared log (truncation at many lengths, single-bit flips, length and count fields
/// set to huge values) and requires each case to end in a valid parse (after which replay, decoding
/// and digest checks must not throw) or in <see cref="EventLogFormatException"/>; any other
/// exception, or any case over 1 s, fails.
/// </summary>
[Trait("Category", "Unit")]
public class MutationTests(ITestOutputHelper output)
{
    private const int MinimumCases = 60_000;
    private const int TruncationsPerLog = 1200;
    private const int BitFlipsPerLog = 1500;
    private const int FieldCasesPerLog = 500;
    private static readonly uint[] HugeValues = [0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0x01000001, 0x00FFFFFF, 0x0000FFFF];

    private enum Kind : byte { Truncate, FlipBit, SetU32, SetU64 }

    private readonly record struct Case(int Log, Kind Kind, int Position, uint Value);

    [Fact]
    public void Every_mutation_of_every_shared_log_parses_or_fails_with_EventLogFormatException()
    {
        byte[][] logs = SharedLogs.Names().Select(SharedLogs.Bytes).ToArray();
        var cases = new List<Case>();
        for (int i = 0; i < logs.Length; i++)
        {
            AddCases(cases, i, logs[i]);
        }
        Assert.True(cases.Count >= MinimumCases, $"only {cases.Count} cases");

        var failures = new ConcurrentQueue<string>();
        int parsed = 0, rejected = 0;
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, c =>
        {
            byte[] bytes = Mutate(logs[c.Log], c);
            var watch = Stopwatch.StartNew();
            try
            {
                ParsedEventLog log = EventLogParser.Parse(bytes);
                EventLogReplayer.Replay(log);
                EventDigestChecker.Check(log);
                foreach (UntrustedEvent e in log.UntrustedEvents)
                {
                    _ = EventDecoder.Decode(e).Summary;
                }
                Interlocked.Increment(ref parsed);
            }
            catch (EventLogFormatException ex)
            {
                Interlocked.Increment(ref rejected);
                if (ex.Offset < 0 || ex.Offset > bytes.Length)
                {
                    failures.Enqueue($"{c}: offset {ex.Offset} outside the log");
                }
            }
#pragma warning disable CA1031 // Any other exception is exactly what this test must catch and report.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failures.Enqueue($"{c}: {ex.GetType().Name}: {ex.Message}");
            }
            if (watch.Elapsed > TimeSpan.FromSeconds(1))
            {
                failures.Enqueue($"{c}: took {watch.Elapsed}");
            }
        });

        output.WriteLine($"{cases.Count} cases over {logs.Length} logs: {parsed} parsed, {rejected} rejected with EventLogFormatException");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(20)));
        Assert.Equal(cases.Count, parsed + rejected);
        Assert.True(parsed > 0 && rejected > 0, $"parsed {parsed}, rejected {rejected}");
    }

    private static void AddCases(List<Case> cases, int index, byte[] log)
    {
        var random = new Random(index * 7919 + log.Length);
        ParsedEventLog parsed = EventLogParser.Parse(log);

        // Truncation: record boundaries and their neighbours, then evenly spaced lengths.
        var lengths = new SortedSet<int>();
        foreach (UntrustedEvent e in parsed.UntrustedEvents)
        {
            foreach (int d in new[] { -1, 0, 1, 4, 8, 12 })
            {
                int at = e.Offset + d;
                if (at >= 0 && at < log.Length) lengths.Add(at);
            }
        }
        for (int i = 0; lengths.Count < Math.Min(TruncationsPerLog, log.Length); i++)
        {
            lengths.Add((int)((long)i * log.Length / TruncationsPerLog) % log.Length);
            if (i > TruncationsPerLog) lengths.Add(random.Next(log.Length));
        }
        cases.AddRange(lengths.Take(TruncationsPerLog).Select(n => new Case(index, Kind.Truncate, n, 0)));

        for (int i = 0; i < BitFlipsPerLog; i++)
        {
            cases.Add(new Case(index, Kind.FlipBit, random.Next(log.Length), (uint)random.Next(8)));
        }

        // Length and count fields: TCG_PCR_EVENT(2) sizes and counts, Spec ID counts, UEFI structure lengths.
        var fields = new List<Case>();
        foreach (UntrustedEvent e in parsed.UntrustedEvents)
        {
            int dataOffset = e.Offset + e.Length - e.Data.Length;
            foreach (uint v in HugeValues)
            {
                fields.Add(new Case(index, Kind.SetU32, dataOffset - 4, v));          // eventSize
                if (parsed.Format == EventLogFormat.CryptoAgile && e.Index > 0)
                {
                    fields.Add(new Case(index, Kind.SetU32, e.Offset + 8, v));        // digest count
                }
                if (e.Index == 0 && parsed.Format == EventLogFormat.CryptoAgile)
                {
                    fields.Add(new Case(index, Kind.SetU32, dataOffset + 24, v));     // numberOfAlgorithms
                    fields.Add(new Case(index, Kind.SetU32, dataOffset + 28, v));     // first algorithmId + digestSize
                }
                if (e.Data.Length >= 32)
                {
                    fields.Add(new Case(index, Kind.SetU64, dataOffset + 16, v));     // UnicodeNameLength / device path length...
                    fields.Add(new Case(index, Kind.SetU64, dataOffset + 24, v));     // VariableDataLength / LengthOfDevicePath
                }
            }
        }
        cases.AddRange(fields.OrderBy(_ => random.Next()).Take(FieldCasesPerLog));
        // Top up with more bit flips where a log has few fields, so each log gets the same weight.
        for (int i = Math.Min(fields.Count, FieldCasesPerLog); i < FieldCasesPerLog; i++)
        {
            cases.Add(new Case(index, Kind.FlipBit, random.Next(log.Length), (uint)random.Next(8)));
        }
    }

    private static byte[] Mutate(byte[] original, Case c)
    {
        if (c.Kind == Kind.Truncate)
        {
            return original.AsSpan(0, c.Position).ToArray();
        }
        byte[] bytes = (byte[])original.Clone();
        switch (c.Kind)
        {
            case Kind.FlipBit:
                bytes[c.Position] ^= (byte)(1 << (int)c.Value);
                break;
            case Kind.SetU32 when c.Position >= 0 && c.Position + 4 <= bytes.Length:
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(c.Position), c.Value);
                break;
            case Kind.SetU64 when c.Position >= 0 && c.Position + 8 <= bytes.Length:
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(c.Position), c.Value | ((ulong)c.Value << 32));
                break;
        }
        return bytes;
    }
}
