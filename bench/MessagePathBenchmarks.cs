using System.Security.Cryptography;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using KcryptPush.Bench.Transport;
using KcryptPush.Contracts.V1;

namespace KcryptPush.Bench;

/// <summary>
/// The JSON work of one steady attestation besides the transport (messages of <see cref="FloorMessages"/>):
/// the submission digest as AttestationPipeline computes it (the message serialised again by
/// reflection, Web options, and hashed), the same from a source-generated context, and the stored
/// result it serialises per quote. Measured at a load average of 25: 21.1 and 20.3 µs median, and
/// 7.1 µs; the digest is about 1% of a steady attestation's 2,300 µs, and the generated context
/// does not make it measurably cheaper.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class MessagePathBenchmarks
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private QuoteSubmitted _quote = null!;
    private AttestationResult _result = null!;

    [GlobalSetup]
    public void Setup()
    {
        _quote = FloorMessages.Quote(1);
        _result = FloorMessages.Pass(_quote);
    }

    [Benchmark(Baseline = true)]
    public byte[] DigestReflection() => SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(_quote, Web));

    [Benchmark]
    public byte[] DigestSourceGenerated() => SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(_quote, FloorJsonContext.Default.QuoteSubmitted));

    [Benchmark]
    public string StoredResult() => JsonSerializer.Serialize(_result with { Secrets = null }, Web);
}
