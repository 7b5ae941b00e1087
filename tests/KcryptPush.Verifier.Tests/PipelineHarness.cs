using System.Security.Cryptography;
using KcryptPush.Contracts.V1;
using KcryptPush.Tpm.Crypto;
using KcryptPush.Tpm.Structures;
using KcryptPush.Tpm.Types;
using KcryptPush.Verifier.Attestation;
using KcryptPush.Verifier.Enrolment;
using KcryptPush.Verifier.Policies;
using KcryptPush.Verifier.Store;

namespace KcryptPush.Verifier.Tests;

/// <summary>
/// A verifier pipeline over a temporary verifier.db with one enrolled node whose AK is the real GCE
/// AK; challenges carrying the real quote's nonce are inserted directly, so the real quote answers them.
/// </summary>
internal sealed class PipelineHarness : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcrypt-verifier-tests-").FullName;

    public PipelineHarness(VerifierOptions? options = null)
    {
        Options = options ?? new VerifierOptions();
        Time = new ManualTime(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        DbPath = Path.Combine(_dir, "verifier.db");
        Nodes = new VerifierNodeStore(DbPath);
        using (var transportKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256))
        {
            SecretKey = SecretAtRestKey.DeriveFrom(transportKey);
        }

        Store = new AttestationStore(DbPath) { SecretKey = SecretKey };
        Issuer = new ChallengeIssuer(Store, Options, Time);
        Pipeline = NewPipeline();
        Ek = RSA.Create(2048);
        EkPublic = new TpmtPublic
        {
            Type = TpmAlgId.Rsa, NameAlg = TpmAlgId.Sha256, ObjectAttributes = (TpmaObject)0x000300B2,
            Symmetric = TpmtSymDefObject.Aes128Cfb, KeyBits = 2048, Unique = Ek.ExportParameters(false).Modulus!,
        };
        TpmHash = Tpm.Crypto.TpmHash.Of(EkPublic);
        Enrol(TpmHash, RealEvidence.AkName);
    }

    public VerifierOptions Options { get; }

    /// <summary>The key the store seals secrets under (derived from a throwaway transport key).</summary>
    public SecretAtRestKey SecretKey { get; }

    public ManualTime Time { get; }

    public string DbPath { get; }

    public VerifierNodeStore Nodes { get; }

    public AttestationStore Store { get; }

    public ChallengeIssuer Issuer { get; }

    public AttestationPipeline Pipeline { get; }

    public RSA Ek { get; }

    public TpmtPublic EkPublic { get; }

    public string TpmHash { get; }

    public DateTime Now => Time.GetUtcNow().UtcDateTime;

    public AttestationPipeline NewPipeline() => new(Nodes, Store, Issuer, Options,
        [new AkPolicy(), new PcrSelectiveEnrollmentPolicy(), new AttestationBudgetPolicy()], Time);

    public void Enrol(string tpmHash, byte[] akName, byte[]? ekPublic = null) =>
        Nodes.Apply(new NodeEnrolled(tpmHash, ekPublic ?? EkPublic.ToArray(), RealEvidence.AkPublic, akName, "node-" + tpmHash[..6], Time.GetUtcNow()), Now);

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

    /// <summary>The real quote answering <paramref name="challenge"/>.</summary>
    public QuoteSubmitted Quote(Guid challenge, bool withLog = true, byte[]? log = null, byte[]? akName = null, string[]? wanted = null, string? tpmHash = null)
    {
        byte[]? sent = withLog ? log ?? RealEvidence.EventLog : null;
        return new QuoteSubmitted(challenge, tpmHash ?? TpmHash, akName ?? RealEvidence.AkName, RealEvidence.Attest, RealEvidence.Signature,
            [new PcrBankValues("sha256", RealEvidence.Sha256Pcrs)], sent is null ? RealEvidence.EventLogSha256 : SHA256.HashData(sent), sent, wanted, "gce-cos85");
    }

    /// <summary>Challenge + quote (with log) + evaluate.</summary>
    public AttestationOutcome Attest(bool withLog = true, string[]? wanted = null) => Pipeline.Evaluate(Quote(Challenge(), withLog, wanted: wanted));

    public NodeAttestation Record => Store.Find(TpmHash)!;

    public void Dispose()
    {
        Store.Dispose();
        SecretKey.Dispose();
        Nodes.Dispose();
        Ek.Dispose();
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
