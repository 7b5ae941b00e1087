using System.Security.Cryptography;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using KcryptPush.Attestation.Evidence;
using KcryptPush.Attestation.EventLog;
using KcryptPush.Attestation.Quotes;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Bench;

/// <summary>
/// <see cref="EvidenceVerifier"/> over one steady attestation: a quote over the real GCE COS 85 sha256 PCR
/// 0-23 values, bound to a nonce and the SHA-256 of its 38 KB event log, signed by a software restricted
/// RSASSA-2048 AK (a recorded quote cannot sign our evidence binding). <c>VerifyQuote</c> is what the verifier
/// does before the rate limit (AK import, quote, clock, no log), <c>VerifyQuoteImported</c> the same with the AK
/// imported once (the verifier's AkVerifierCache); <c>VerifyWithParsedLog</c> the whole call with
/// the log from the parse cache (the steady state); <c>VerifyWithLogBytes</c> with the log parsed in the call.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class EvidenceVerificationBenchmarks
{
    private EnrolledAk _ak = null!;
    private ChallengeTerms _terms = null!;
    private NodeEvidence _withBytes = null!;
    private NodeEvidence _withParsed = null!;
    private NodeEvidence _noLog = null!;
    private QuoteVerifier _imported = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var key = RSA.Create(2048);
        byte[] akPublic = new TpmtPublic
        {
            Type = TpmAlgId.Rsa, NameAlg = TpmAlgId.Sha256, ObjectAttributes = Tpm.Templates.AkTemplates.Attributes,
            Scheme = new TpmtScheme(TpmAlgId.RsaSsa, TpmAlgId.Sha256), KeyBits = 2048, Unique = key.ExportParameters(false).Modulus!,
        }.ToArray();
        _ak = new EnrolledAk(akPublic, TpmtPublic.Parse(akPublic).ComputeName());
        _imported = new QuoteVerifier(TpmtPublic.Parse(akPublic));

        using JsonDocument sidecar = JsonDocument.Parse(File.ReadAllBytes(BenchData.TestData("quotes", "gce-cos85-nonce9009.quote.json")));
        JsonElement quote = sidecar.RootElement.GetProperty("quotes").EnumerateArray().Single(q => q.GetProperty("bank").GetString() == "sha256");
        var pcrs = new PcrValues();
        foreach (JsonProperty pcr in quote.GetProperty("pcrs").EnumerateObject())
        {
            pcrs.Set(TpmAlgId.Sha256, int.Parse(pcr.Name, System.Globalization.CultureInfo.InvariantCulture), Convert.FromHexString(pcr.Value.GetString()!));
        }

        byte[] log = File.ReadAllBytes(BenchData.TestData("eventlogs", "gcp-cos85-sev-attested.bin"));
        byte[] logDigest = SHA256.HashData(log);
        byte[] nonce = RandomNumberGenerator.GetBytes(32);
        var selection = TpmlPcrSelection.Create((TpmAlgId.Sha256, Enumerable.Range(0, 24)));
        byte[] attest = new TpmsAttest
        {
            Magic = TpmsAttest.TpmGeneratedValue, Type = TpmSt.AttestQuote,
            QualifiedSigner = TpmName.Qualify(TpmAlgId.Sha256, TpmName.OfHandle(TpmHandle.RhEndorsement), _ak.Name),
            ExtraData = EvidenceBinding.Compute(nonce, logDigest, []),
            ClockInfo = new TpmsClockInfo(5000, 3, 0, true), FirmwareVersion = 1,
            Quote = new TpmsQuoteInfo(selection, PcrDigest.Compute(TpmAlgId.Sha256, selection, (b, p) => pcrs.TryGet(b, p, out byte[] v) ? v : null)!),
        }.ToArray();
        byte[] signature = new TpmtSignature
        {
            SigAlg = TpmAlgId.RsaSsa, Hash = TpmAlgId.Sha256, Signature = key.SignData(attest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        }.ToArray();

        _terms = new ChallengeTerms(Guid.NewGuid(), nonce, selection, new TpmsClockInfo(4000, 3, 0, true));
        _noLog = new NodeEvidence(attest, signature, pcrs, logDigest);
        _withBytes = _noLog with { EventLog = log };
        _withParsed = _noLog with { ParsedLog = EventLogParser.Parse(log) };
        if (!VerifyWithParsedLog().Passed || !VerifyWithLogBytes().Passed || !VerifyQuote().NeedsLog || !VerifyQuoteImported().NeedsLog)
        {
            throw new InvalidOperationException("benchmark input does not verify: the numbers would measure a failure path");
        }
    }

    [Benchmark]
    public EvidenceVerification VerifyQuote() => EvidenceVerifier.VerifyQuote(_ak, _terms, _noLog);

    [Benchmark]
    public EvidenceVerification VerifyQuoteImported() => EvidenceVerifier.VerifyQuote(_imported, _ak.Name, _terms, _noLog);

    [Benchmark(Baseline = true)]
    public EvidenceVerification VerifyWithParsedLog() => EvidenceVerifier.Verify(_ak, _terms, _withParsed);

    [Benchmark]
    public EvidenceVerification VerifyWithLogBytes() => EvidenceVerifier.Verify(_ak, _terms, _withBytes);
}
