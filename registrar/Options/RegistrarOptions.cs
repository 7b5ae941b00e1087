namespace KcryptPush.Registrar.Options;

/// <summary>
/// Registrar settings, bound from the <c>Registrar</c> configuration section; the options of
/// DESIGN.md's command-line table map onto them (<c>--db</c> → <c>Registrar:Db</c>,
/// <c>--ek-ca-dir</c> → <c>Registrar:EkCaDir</c>, <c>--require-ek-cert</c> →
/// <c>Registrar:RequireEkCertificate</c>, and the <c>KCRYPTPUSH_DB</c>, <c>KCRYPTPUSH_EK_CA_DIR</c>,
/// <c>KCRYPTPUSH_REQUIRE_EK_CERT</c> environment aliases).
/// </summary>
public sealed class RegistrarOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Registrar";

    /// <summary>Default LiteDB file.</summary>
    public const string DefaultDb = "/var/lib/kcrypt-push/registrar.db";

    /// <summary>Default directory of trusted EK manufacturer CA certificates.</summary>
    public const string DefaultEkCaDir = "/etc/kcrypt-push/ek-ca";

    /// <summary>The LiteDB file, the store when <see cref="Store"/> is unset (LiteDB direct mode: held by the service, see <c>LiteDbRegistrarStore</c>).</summary>
    public string Db { get; set; } = DefaultDb;

    /// <summary>
    /// Where the registrar keeps its records: <c>litedb:PATH</c>, or a PostgreSQL connection string
    /// (<c>Host=...;Database=...</c>) or URI (<c>postgresql://user:pass@host:5432/db</c>) for several
    /// registrars on one database. Unset: <c>litedb:</c> the <see cref="Db"/> file.
    /// </summary>
    public string? Store { get; set; }

    /// <summary>The store this configuration names (<see cref="Store"/>, else <c>litedb:</c><see cref="Db"/>).</summary>
    public string StoreSetting => Store is { Length: > 0 } store ? store : "litedb:" + Db;

    /// <summary>
    /// Directory of PEM or DER certificates (<c>*.pem</c>, <c>*.crt</c>, <c>*.cer</c>, <c>*.der</c>):
    /// self-signed ones are trust anchors, the others intermediates. Read at start.
    /// </summary>
    public string EkCaDir { get; set; } = DefaultEkCaDir;

    /// <summary>
    /// True (default): every node needs an EK certificate that chains to <see cref="EkCaDir"/>.
    /// False: nodes whose TPM hash is in <see cref="AllowedTpmHashes"/> are accepted without a
    /// trusted certificate; all others still need one.
    /// </summary>
    public bool RequireEkCertificate { get; set; } = true;

    /// <summary>TPM hashes (lowercase hex) accepted without a trusted EK certificate when <see cref="RequireEkCertificate"/> is false.</summary>
    public List<string> AllowedTpmHashes { get; set; } = [];

    /// <summary>How long a credential challenge can be answered.</summary>
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The per-TPM-hash limit (sliding minute). For a hash with no enrolled record it counts the
    /// registrations that passed the cheap checks and reached the certificate check; for an enrolled
    /// hash it counts completed enrolments (valid proofs) only. See <c>EnrolmentService</c>, "Rate limits".
    /// </summary>
    public int RegistrationsPerMinute { get; set; } = 10;

    /// <summary>
    /// Enrolment attempts per minute across all TPM hashes (sliding minute): registrations that
    /// passed the cheap checks and would cost a certificate chain check and MakeCredential. Beyond
    /// it they are answered <c>rate-limited</c> without that work. Default 600 (10 a second on
    /// average): a registrar does far more, and an attacker holding an agent's broker login makes
    /// it issue at most this many challenges (and their audit entries) a minute.
    /// </summary>
    public int GlobalRegistrationsPerMinute { get; set; } = 600;

    /// <summary>
    /// How often the counts of rejected requests (per reason code) are added to the store and
    /// logged as one summary line. Rejections are not audited one by one. Default one minute.
    /// </summary>
    public TimeSpan RejectionReportInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Accept EK certificates outside their validity period (some TPMs ship expired ones). Default false.</summary>
    public bool IgnoreEkCertificateValidityPeriod { get; set; }
}
