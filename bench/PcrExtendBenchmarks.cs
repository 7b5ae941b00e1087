using BenchmarkDotNet.Attributes;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Hashing;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Bench;

/// <summary>One PCR extend per bank through OpenSSL's EVP (reused context) and through .NET's hash:
/// the cost replay pays per event and bank.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class PcrExtendBenchmarks
{
    private PcrExtender _openssl = null!;
    private PcrExtender _dotnet = null!;
    private byte[] _pcr = [];
    private byte[] _digest = [];

    [Params(TpmAlgId.Sha1, TpmAlgId.Sha256, TpmAlgId.Sha384)]
    public TpmAlgId Bank { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _openssl = PcrExtender.Create((ushort)Bank);
        _dotnet = PcrExtender.CreateManaged((ushort)Bank);
        _pcr = new byte[_openssl.DigestSize];
        _digest = new byte[_openssl.DigestSize];
        Random.Shared.NextBytes(_digest);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _openssl.Dispose();
        _dotnet.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void DotnetHash() => _dotnet.Extend(_pcr, _digest);

    [Benchmark]
    public void OpenSslEvp() => _openssl.Extend(_pcr, _digest);
}
