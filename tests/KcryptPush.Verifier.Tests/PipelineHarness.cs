using System.Security.Cryptography;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Release;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Policies;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// A verifier pipeline over a temporary verifier.db with one enrolled node. Its quotes are made as a
/// TPM2_Quote makes them (TPM 2.0 Part 2 §10.12.12) over the real GCE COS 85 PCR values and clock, with
/// the event log that replays to them, and signed by a software restricted RSASSA AK: the evidence
/// binding (extraData = SHA-256(nonce ‖ log digest ‖ release key Name)) is computed per challenge, which
/// a recorded real quote cannot do. The real quote itself is verified in the attestation tests.
/// </summary>
internal sealed class PipelineHarness : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcrypt-verifier-tests-").FullName;

    public PipelineHarness(VerifierOptions? options = null)
    {
        Options = options ?? new VerifierOptions();
        Time = new ManualTime(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        DbPath = Path.Combine(_dir, "verifier.db");
        using (var transportKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256))
        {
            SecretKey = SecretAtRestKey.DeriveFrom(transportKey);
        }

        Store = new LiteDbVerifierStore(DbPath, new VerifierStoreOptions { SecretKey = SecretKey });
        Nodes = new TestNodes(Store);
        Issuer = new ChallengeIssuer(Store, Options, Time);
        Pipeline = NewPipeline();
        Ek = RSA.Create(2048);
        EkPublic = new TpmtPublic
        {
            Type = TpmAlgId.Rsa, NameAlg = TpmAlgId.Sha256, ObjectAttributes = (TpmaObject)0x000300B2,
            Symmetric = TpmtSymDefObject.Aes128Cfb, KeyBits = 2048, Unique = Ek.ExportParameters(false).Modulus!,
        };
        TpmHash = Tpm.Crypto.TpmHash.Of(EkPublic);
        Ak = RSA.Create(2048);
        AkPublic = new TpmtPublic
        {
            Type = TpmAlgId.Rsa, NameAlg = TpmAlgId.Sha256, ObjectAttributes = Tpm.Templates.AkTemplates.Attributes,
            Scheme = new TpmtScheme(TpmAlgId.RsaSsa, TpmAlgId.Sha256), KeyBits = 2048, Unique = Ak.ExportParameters(false).Modulus!,
        }.ToArray();
        AkName = TpmtPublic.Parse(AkPublic).ComputeName();
        Enrol(TpmHash, AkName);
    }

    public VerifierOptions Options { get; }

    /// <summary>The key the store seals secrets under (derived from a throwaway transport key).</summary>
    public SecretAtRestKey SecretKey { get; }

    public ManualTime Time { get; }

    public string DbPath { get; }

    public TestNodes Nodes { get; private set; }

    /// <summary>The verifier's store on <see cref="DbPath"/> (LiteDB direct mode: the one opener of the file).</summary>
    public IVerifierStore Store { get; private set; }

    public ChallengeIssuer Issuer { get; private set; }

    public AttestationPipeline Pipeline { get; private set; }

    public RSA Ek { get; }

    /// <summary>The node's software AK (restricted, RSASSA-SHA256) and its TPMT_PUBLIC and Name.</summary>
    public RSA Ak { get; }

    public byte[] AkPublic { get; }

    public byte[] AkName { get; }

    public TpmtPublic EkPublic { get; }

    public string TpmHash { get; }

    public DateTime Now => Time.GetUtcNow().UtcDateTime;

    /// <summary>Closes the store and opens the file again, as a verifier restart does (<paramref name="options"/>
    /// default: the secret key only); the issuer and pipeline are made anew over it.</summary>
    public void Restart(VerifierStoreOptions? options = null)
    {
        Store.Dispose();
        Store = new LiteDbVerifierStore(DbPath, options ?? new VerifierStoreOptions { SecretKey = SecretKey });
        Nodes = new TestNodes(Store);
        Issuer = new ChallengeIssuer(Store, Options, Time);
        Pipeline = NewPipeline();
    }

    public AttestationPipeline NewPipeline() => new(Store, Issuer, Options,
        [new AkPolicy(), new PcrSelectiveEnrollmentPolicy(), new AttestationBudgetPolicy()], Time);

    public void Enrol(string tpmHash, byte[] akName, byte[]? ekPublic = null) =>
        Nodes.Apply(new NodeEnrolled(tpmHash, ekPublic ?? EkPublic.ToArray(), AkPublic, akName, "node-" + tpmHash[..6], Time.GetUtcNow()), Now);

    /// <summary>Inserts a challenge for the node with the real quote's nonce and selection (sha256 PCR 0-23).</summary>
    public Guid Challenge(string? tpmHash = null, byte[]? nonce = null, TimeSpan? validFor = null)
    {
        var id = Guid.NewGuid();
        Store.AddChallenge(new ChallengeRecord
        {
            Id = id,
            TpmHash = tpmHash ?? TpmHash,
            Nonce = nonce ?? RealEvidence.Nonce,
            Selection = [new BankSelectionRecord { Bank = "sha256", Pcrs = Enumerable.Range(0, 24).ToList() }],
            IssuedAt = Now,
            ExpiresAt = Now + (validFor ?? TimeSpan.FromMinutes(2)),
            ClockFloor = ClockFloor.Of(Store.Find(tpmHash ?? TpmHash)),   // as ChallengeIssuer does
        });
        return id;
    }

    /// <summary>
    /// The quote answering <paramref name="challenge"/> over the real sha256 PCR values (or
    /// <paramref name="pcrs"/>), bound to the challenge's nonce (or <paramref name="signedNonce"/>),
    /// the log's digest and, with <paramref name="wanted"/>, a release key bound to the quoted values
    /// (or <paramref name="releaseKey"/>).
    /// </summary>
    public QuoteSubmitted Quote(Guid challenge, bool withLog = true, byte[]? log = null, byte[]? akName = null, string[]? wanted = null, string? tpmHash = null,
        byte[]? signedNonce = null, IReadOnlyDictionary<int, byte[]>? pcrs = null, TpmtPublic? releaseKey = null, TpmsClockInfo? clock = null,
        byte[]? qualifiedSigner = null, ulong firmware = 0x20191023_00163636)
    {
        byte[]? sent = withLog ? log ?? RealEvidence.EventLog : null;
        byte[] logDigest = SHA256.HashData(log ?? RealEvidence.EventLog);
        pcrs ??= RealEvidence.Sha256Pcrs;
        TpmsClockInfo quotedClock = clock ?? RealEvidence.Clock;
        var selection = TpmlPcrSelection.Create((TpmAlgId.Sha256, Enumerable.Range(0, 24)));
        if (wanted is { Length: > 0 } && releaseKey is null)
        {
            byte[] values = ReleaseKeyPolicy.PcrValuesDigest(selection, (_, pcr) => pcrs.GetValueOrDefault(pcr))!;
            TpmtPublic template = ReleaseKeyTemplate.Create(ReleaseKeyPolicy.Compute(selection, values, quotedClock.ResetCount));
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            ECParameters p = key.ExportParameters(false);
            releaseKey = TpmtPublic.Parse(new TpmtPublic
            {
                Type = template.Type, NameAlg = template.NameAlg, ObjectAttributes = template.ObjectAttributes, AuthPolicy = template.AuthPolicy,
                Curve = template.Curve, UniqueX = p.Q.X!, UniqueY = p.Q.Y!,
            }.ToArray());
        }

        byte[] nonce = signedNonce ?? Store.FindChallenge(challenge)?.Nonce ?? RealEvidence.Nonce;
        byte[] attest = new TpmsAttest
        {
            Magic = TpmsAttest.TpmGeneratedValue, Type = TpmSt.AttestQuote,
            QualifiedSigner = qualifiedSigner ?? TpmName.Qualify(TpmAlgId.Sha256, TpmName.OfHandle(TpmHandle.RhEndorsement), AkName),
            ExtraData = EvidenceBinding.Compute(nonce, logDigest, releaseKey?.ComputeName() ?? []),
            ClockInfo = quotedClock, FirmwareVersion = firmware,
            Quote = new TpmsQuoteInfo(selection, SHA256.HashData([.. Enumerable.Range(0, 24).SelectMany(i => pcrs[i])])),
        }.ToArray();
        byte[] signature = new TpmtSignature
        {
            SigAlg = TpmAlgId.RsaSsa, Hash = TpmAlgId.Sha256, Signature = Ak.SignData(attest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        }.ToArray();
        return new QuoteSubmitted(challenge, tpmHash ?? TpmHash, akName ?? AkName, attest, signature,
            [new PcrBankValues("sha256", pcrs)], logDigest, sent, wanted, "gce-cos85", releaseKey?.ToArray());
    }

    /// <summary>Challenge + quote (with log) + evaluate.</summary>
    public AttestationOutcome Attest(bool withLog = true, string[]? wanted = null) => Pipeline.Evaluate(Quote(Challenge(), withLog, wanted: wanted));

    public NodeAttestation Record => Store.Find(TpmHash)!;

    public void Dispose()
    {
        Store.Dispose();
        SecretKey.Dispose();
        Ek.Dispose();
        Ak.Dispose();
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
