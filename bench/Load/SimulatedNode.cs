using System.Security.Cryptography;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Bench.Load;

/// <summary>
/// A node without a TPM, for load only: a software RSA-2048 "EK" and a restricted RSASSA-SHA256 "AK"
/// whose TPMS_ATTEST/TPMT_SIGNATURE are built exactly as a TPM2_Quote's (TPM 2.0 Part 2 §10.12.12,
/// §11.3.4), so the verifier does all its work (signature, nonce, PCR digest, clock, replay, policy).
/// It proves nothing about a TPM: the load generator enrols it by publishing NodeEnrolled itself.
/// </summary>
internal sealed class SimulatedNode : IDisposable
{
    private static readonly TpmaObject EkAttributes = (TpmaObject)0x000300B2; // L-1 template (TCG EK Credential Profile §B.3.3)
    private static readonly TpmaObject AkAttributes = (TpmaObject)0x00050072; // fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign
    private readonly RSA _ek = RSA.Create(2048);
    private readonly RSA _ak = RSA.Create(2048);
    private readonly byte[] _qualifiedSigner;
    private ulong _clock;

    public SimulatedNode(int index, ulong clockStart)
    {
        Hostname = $"load-{index:D5}";
        var ekPublic = new TpmtPublic
        {
            Type = TpmAlgId.Rsa, NameAlg = TpmAlgId.Sha256, ObjectAttributes = EkAttributes,
            Symmetric = TpmtSymDefObject.Aes128Cfb, KeyBits = 2048, Unique = _ek.ExportParameters(false).Modulus!,
        };
        var akPublic = new TpmtPublic
        {
            Type = TpmAlgId.Rsa, NameAlg = TpmAlgId.Sha256, ObjectAttributes = AkAttributes,
            Scheme = new TpmtScheme(TpmAlgId.RsaSsa, TpmAlgId.Sha256), KeyBits = 2048, Unique = _ak.ExportParameters(false).Modulus!,
        };
        EkPublic = ekPublic.ToArray();
        AkPublic = akPublic.ToArray();
        AkName = TpmName.Compute(TpmAlgId.Sha256, AkPublic);
        TpmHash = Tpm.Crypto.TpmHash.Of(ekPublic);
        _qualifiedSigner = TpmName.Qualify(TpmAlgId.Sha256, TpmName.OfHandle(TpmHandle.RhEndorsement), AkName);
        _clock = clockStart;
    }

    public string Hostname { get; }

    public string TpmHash { get; }

    public byte[] EkPublic { get; }

    public byte[] AkPublic { get; }

    public byte[] AkName { get; }

    public NodeEnrolled Enrolment() => new(TpmHash, EkPublic, AkPublic, AkName, Hostname, DateTimeOffset.UtcNow);

    /// <summary>The QuoteSubmitted a real agent would send over <paramref name="challenge"/> for a machine
    /// that booted with <paramref name="boot"/>.</summary>
    public QuoteSubmitted Quote(Challenge challenge, BootState boot, bool withLog)
    {
        var banks = new List<(TpmAlgId, IEnumerable<int>)>();
        var reported = new List<PcrBankValues>();
        var concatenated = new List<byte>();
        foreach (PcrBankSelection s in challenge.Selection)
        {
            if (!PcrBankNames.TryParse(s.Bank, out TpmAlgId alg))
            {
                throw new InvalidOperationException($"the verifier asked for bank {s.Bank}, which the load generator does not simulate");
            }

            int[] pcrs = [.. s.Pcrs.Order()];
            banks.Add((alg, pcrs));
            var values = new Dictionary<int, byte[]>();
            foreach (int pcr in pcrs)
            {
                byte[] value = boot.Value(alg, pcr);
                values[pcr] = value;
                concatenated.AddRange(value);
            }

            reported.Add(new PcrBankValues(s.Bank, values));
        }

        // TPM2_Quote (Part 3 §18.4): pcrDigest = H_sig(selected values in selection order); the
        // clock only moves forward, as the verifier requires.
        TpmlPcrSelection selection = TpmlPcrSelection.Create([.. banks]);
        _clock += 10;
        byte[] attest = new TpmsAttest
        {
            Magic = TpmsAttest.TpmGeneratedValue, Type = TpmSt.AttestQuote, QualifiedSigner = _qualifiedSigner,
            ExtraData = EvidenceBinding.Compute(challenge.Nonce, boot.LogSha256, []), ClockInfo = new TpmsClockInfo(_clock, 1, 0, true), FirmwareVersion = 0x2000_0000_0001,
            Quote = new TpmsQuoteInfo(selection, SHA256.HashData([.. concatenated])),
        }.ToArray();
        byte[] signature = new TpmtSignature
        {
            SigAlg = TpmAlgId.RsaSsa, Hash = TpmAlgId.Sha256,
            Signature = _ak.SignData(attest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        }.ToArray();
        return new QuoteSubmitted(challenge.ChallengeId, TpmHash, AkName, attest, signature, [.. reported],
            boot.LogSha256, withLog ? boot.Log : null, null, Hostname);
    }

    public void Dispose()
    {
        _ek.Dispose();
        _ak.Dispose();
    }
}
