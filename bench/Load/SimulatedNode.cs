using System.Security.Cryptography;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Templates;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Bench.Load;

/// <summary>The simulated nodes' key type: the AK (and its EK) of <c>--ak</c>.</summary>
internal enum AkKind
{
    /// <summary>EK L-2 (ECC NIST P-256), AK ECC P-256 with ECDSA-SHA256.</summary>
    Ecc,

    /// <summary>EK L-1 (RSA 2048), AK RSA 2048 with RSASSA-SHA256.</summary>
    Rsa,
}

/// <summary>
/// A node without a TPM, for load only: a software "EK" (EK Credential Profile template L-2 or L-1)
/// and a restricted "AK" (<see cref="AkTemplates"/>: ECDSA-SHA256 on P-256 by default, RSASSA-SHA256
/// on RSA 2048) whose TPMS_ATTEST/TPMT_SIGNATURE are built exactly as a TPM2_Quote's (TPM 2.0 Part 2
/// §10.12.12, §11.3.4: an ECDSA signature is r and s, each a TPM2B of the curve's size), so the
/// verifier does all its work (signature, evidence binding, PCR digest, clock, replay, policy).
/// qualifiedSigner is the endorsement-primary AK's qualified name and firmwareVersion never changes,
/// as on a real TPM. It proves nothing about a TPM: the load generator enrols it by publishing
/// NodeEnrolled itself. Quote may be called from several tasks at once (the flood node does).
/// </summary>
internal sealed class SimulatedNode : IDisposable
{
    /// <summary>The TPM firmwareVersion every simulated quote carries (changes are audited by the verifier).</summary>
    public const ulong FirmwareVersion = 0x2000_0000_0001;

    private readonly AsymmetricAlgorithm _ek;
    private readonly RSA? _rsaAk;
    private readonly ECDsa? _eccAk;
    private readonly byte[] _qualifiedSigner;
    private readonly Lock _signGate = new();
    private ulong _clock;

    public SimulatedNode(string hostname, AkKind kind, ulong clockStart)
    {
        Hostname = hostname;
        Kind = kind;
        TpmtPublic ekPublic, akPublic;
        if (kind == AkKind.Ecc)
        {
            var ek = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            _eccAk = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            _ek = ek;
            ECParameters e = ek.ExportParameters(false), a = _eccAk.ExportParameters(false);
            ekPublic = WithEccKey(EkTemplates.EccL2(), e.Q.X!, e.Q.Y!);
            akPublic = WithEccKey(AkTemplates.EccP256(), a.Q.X!, a.Q.Y!);
        }
        else
        {
            var ek = RSA.Create(2048);
            _rsaAk = RSA.Create(2048);
            _ek = ek;
            ekPublic = WithModulus(EkTemplates.RsaL1(), ek.ExportParameters(false).Modulus!);
            akPublic = WithModulus(AkTemplates.Rsa2048(), _rsaAk.ExportParameters(false).Modulus!);
        }

        EkPublic = ekPublic.ToArray();
        AkPublic = akPublic.ToArray();
        AkName = TpmName.Compute(TpmAlgId.Sha256, AkPublic);
        TpmHash = Tpm.Crypto.TpmHash.Of(ekPublic);
        _qualifiedSigner = TpmName.Qualify(TpmAlgId.Sha256, TpmName.OfHandle(TpmHandle.RhEndorsement), AkName);
        _clock = clockStart;
    }

    public string Hostname { get; }

    public AkKind Kind { get; }

    public string TpmHash { get; }

    public byte[] EkPublic { get; }

    public byte[] AkPublic { get; }

    public byte[] AkName { get; }

    public NodeEnrolled Enrolment() => new(TpmHash, EkPublic, AkPublic, AkName, Hostname, DateTimeOffset.UtcNow);

    /// <summary>The QuoteSubmitted a real agent would send over <paramref name="challenge"/> for a machine
    /// that booted with <paramref name="boot"/>.</summary>
    public QuoteSubmitted Quote(Challenge challenge, BootState boot, bool withLog) =>
        Quote(challenge, boot, boot.Log, boot.LogSha256, withLog);

    /// <summary>
    /// As <see cref="Quote(Challenge, BootState, bool)"/>, but naming (and sending when
    /// <paramref name="withLog"/>) <paramref name="log"/> instead of the boot's own log: the PCR values
    /// are still <paramref name="boot"/>'s, so a log that replays the same (the boot's log with
    /// EV_NO_ACTION events added) passes.
    /// </summary>
    public QuoteSubmitted Quote(Challenge challenge, BootState boot, byte[] log, byte[] logSha256, bool withLog)
    {
        var banks = new List<(TpmAlgId, IEnumerable<int>)>();
        var reported = new List<PcrBankValues>();
        foreach (PcrBankSelection s in challenge.Selection)
        {
            if (!TpmAlgorithms.TryParsePcrBank(s.Bank, out TpmAlgId alg))
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
            }

            reported.Add(new PcrBankValues(s.Bank, values));
        }

        // TPM2_Quote (Part 3 §18.4): pcrDigest = H_sig(selected values in selection order); the
        // clock only moves forward, as the verifier requires, also across concurrent quotes.
        TpmlPcrSelection selection = TpmlPcrSelection.Create([.. banks]);
        ulong clock = Interlocked.Add(ref _clock, 10);
        byte[] attest = new TpmsAttest
        {
            Magic = TpmsAttest.TpmGeneratedValue, Type = TpmSt.AttestQuote, QualifiedSigner = _qualifiedSigner,
            ExtraData = EvidenceBinding.Compute(challenge.Nonce, logSha256, []), ClockInfo = new TpmsClockInfo(clock, 1, 0, true),
            FirmwareVersion = FirmwareVersion, Quote = new TpmsQuoteInfo(selection, PcrDigest.Compute(TpmAlgId.Sha256, selection, boot.Value)!),
        }.ToArray();
        byte[] signature = Sign(attest).ToArray();
        return new QuoteSubmitted(challenge.ChallengeId, TpmHash, AkName, attest, signature, [.. reported],
            logSha256, withLog ? log : null, null, Hostname);
    }

    public void Dispose()
    {
        _ek.Dispose();
        _rsaAk?.Dispose();
        _eccAk?.Dispose();
    }

    // The AK's scheme over the TPMS_ATTEST bytes: RSASSA-PKCS1-v1_5, or ECDSA whose r and s are
    // each the curve's size (what a TPM returns in TPMS_SIGNATURE_ECC).
    private TpmtSignature Sign(byte[] attest)
    {
        lock (_signGate)
        {
            if (_eccAk is not null)
            {
                byte[] rs = _eccAk.SignData(attest, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
                int n = rs.Length / 2;
                return new TpmtSignature { SigAlg = TpmAlgId.EcDsa, Hash = TpmAlgId.Sha256, R = rs[..n], S = rs[n..] };
            }

            return new TpmtSignature
            {
                SigAlg = TpmAlgId.RsaSsa, Hash = TpmAlgId.Sha256,
                Signature = _rsaAk!.SignData(attest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            };
        }
    }

    private static TpmtPublic WithEccKey(TpmtPublic t, byte[] x, byte[] y) => new()
    {
        Type = t.Type, NameAlg = t.NameAlg, ObjectAttributes = t.ObjectAttributes, AuthPolicy = t.AuthPolicy,
        Symmetric = t.Symmetric, Scheme = t.Scheme, Curve = t.Curve, Kdf = t.Kdf, UniqueX = x, UniqueY = y,
    };

    private static TpmtPublic WithModulus(TpmtPublic t, byte[] modulus) => new()
    {
        Type = t.Type, NameAlg = t.NameAlg, ObjectAttributes = t.ObjectAttributes, AuthPolicy = t.AuthPolicy,
        Symmetric = t.Symmetric, Scheme = t.Scheme, KeyBits = t.KeyBits, Exponent = t.Exponent, Unique = modulus,
    };
}
