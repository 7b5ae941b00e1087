using KcryptPush.Contracts.V1;
using KcryptPush.Registrar.EkCertificates;
using KcryptPush.Registrar.Enrolment;
using KcryptPush.Registrar.Options;
using KcryptPush.Registrar.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KcryptPush.Registrar.Tests.Support;

/// <summary>An EnrolmentService over a temporary LiteDB file (held open, as the service holds it), a test PKI and a manual clock.</summary>
internal sealed class EnrolmentFixture : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-registrar-").FullName;
    private readonly ILogger<EnrolmentService> _log;
    private readonly bool _ownsPki;

    /// <param name="configure">Changes to the options.</param>
    /// <param name="trusted">The EK PKI (another fixture's, say; null: a new one, disposed with this).</param>
    /// <param name="log">The service's logger.</param>
    /// <param name="store">The store (disposed with this; null: a LiteDB file in a temporary directory).</param>
    public EnrolmentFixture(Action<RegistrarOptions>? configure = null, TestPki? trusted = null, ILogger<EnrolmentService>? log = null, IRegistrarStore? store = null)
    {
        _ownsPki = trusted is null;
        Pki = trusted ?? TestPki.Create();
        Options = new RegistrarOptions { Db = Path.Combine(_dir, "registrar.db") };
        configure?.Invoke(Options);
        Store = store ?? new LiteDbRegistrarStore(Options.Db);
        Metrics = new RegistrarMetrics();
        _log = log ?? NullLogger<EnrolmentService>.Instance;
        Service = NewService();
    }

    public TestPki Pki { get; }

    public RegistrarOptions Options { get; }

    public IRegistrarStore Store { get; private set; }

    public RegistrarMetrics Metrics { get; }

    public ManualTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public EnrolmentService Service { get; private set; }

    /// <summary>A new service over the same file, as after a registrar restart (its in-memory limits and caches start empty).</summary>
    public void Restart() => Service = NewService();

    /// <summary>Runs <paramref name="offline"/> with the file closed, as with the service stopped, then reopens it and restarts the service.</summary>
    public void WhileStopped(Action offline)
    {
        ArgumentNullException.ThrowIfNull(offline);
        Store.Dispose();
        try
        {
            offline();
        }
        finally
        {
            Store = new LiteDbRegistrarStore(Options.Db);
            Restart();
        }
    }

    public RegisterNode RegisterFor(SoftwareTpm tpm, bool withCertificate = true, string? claimedHash = null, Guid? registrationId = null) =>
        new(
            claimedHash ?? tpm.TpmHash,
            tpm.Ek.ToArray(),
            withCertificate ? Pki.IssueEkCertificate(tpm.EkPublicKey) : null,
            tpm.Ak.ToArray(),
            "node-" + tpm.TpmHash[..8],
            registrationId ?? Guid.NewGuid());

    /// <summary>Registers and answers the challenge as the agent would; returns the proof outcome.</summary>
    public ProofOutcome Enrol(SoftwareTpm tpm, RegisterNode? request = null)
    {
        RegistrationOutcome reg = Service.Register(request ?? RegisterFor(tpm));
        CredentialChallenge challenge = reg.Challenge ?? throw new InvalidOperationException($"rejected: {reg.Rejection}");
        byte[] secret = tpm.ActivateCredential(challenge.CredentialBlob, challenge.EncryptedSecret);
        return Service.Prove(new CredentialProof(challenge.ChallengeId, challenge.TpmHash,
            Messaging.CredentialProofMac.Compute(secret, challenge.TpmHash, challenge.ChallengeId)));
    }

    private EnrolmentService NewService() => new(
        Store,
        new EkCertificateValidator(new EkTrustAnchors([Pki.Root, Pki.Intermediate]), Options.IgnoreEkCertificateValidityPeriod, Time),
        new RegistrationRateLimiter(Options.RegistrationsPerMinute, Time),
        Metrics,
        Options,
        Time,
        _log);

    public void Dispose()
    {
        Store.Dispose();
        Metrics.Dispose();
        if (_ownsPki)
        {
            Pki.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }
}
