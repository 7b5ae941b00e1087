using KcryptPush.Contracts.V1;
using KcryptPush.Registrar.EkCertificates;
using KcryptPush.Registrar.Tests.Support;

namespace KcryptPush.Registrar.Tests;

[Trait("Category", "Unit")]
public sealed class EkCertificateValidatorTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();
    private readonly SoftwareTpm _tpm = SoftwareTpm.CreateRsa();
    private readonly string _dir = Directory.CreateTempSubdirectory("kcp-ekca-").FullName;

    private EkCertificateValidator Validator(EkTrustAnchors anchors, bool ignoreTime = false) =>
        new(anchors, ignoreTime, TimeProvider.System);

    [Fact]
    public void A_TCG_profile_EK_certificate_from_the_configured_CA_directory_is_trusted()
    {
        _pki.WriteCaDirectory(_dir);
        EkTrustAnchors anchors = EkTrustAnchors.LoadDirectory(_dir);
        Assert.Single(anchors.Roots);
        Assert.Single(anchors.Intermediates);

        EkCertificateVerdict verdict = Validator(anchors).Validate(_pki.IssueEkCertificate(_tpm.EkPublicKey), _tpm.TpmHash);

        Assert.True(verdict.Trusted, verdict.Detail);
    }

    [Fact]
    public void A_certificate_from_another_CA_is_untrusted()
    {
        using var rogue = TestPki.Create("Rogue");
        var anchors = new EkTrustAnchors([_pki.Root, _pki.Intermediate]);

        EkCertificateVerdict verdict = Validator(anchors).Validate(rogue.IssueEkCertificate(_tpm.EkPublicKey), _tpm.TpmHash);

        Assert.False(verdict.Trusted);
        Assert.Equal(EnrolmentRejectionReasons.EkCertificateUntrusted, verdict.ReasonCode);
    }

    [Fact]
    public void An_intermediate_alone_is_not_a_trust_anchor()
    {
        File.WriteAllText(Path.Combine(_dir, "intermediate.pem"), _pki.Intermediate.ExportCertificatePem());
        EkTrustAnchors anchors = EkTrustAnchors.LoadDirectory(_dir);
        Assert.Empty(anchors.Roots);

        EkCertificateVerdict verdict = Validator(anchors).Validate(_pki.IssueEkCertificate(_tpm.EkPublicKey), _tpm.TpmHash);

        Assert.Equal(EnrolmentRejectionReasons.EkCertificateUntrusted, verdict.ReasonCode);
    }

    [Fact]
    public void A_DER_root_file_is_loaded_too()
    {
        File.WriteAllBytes(Path.Combine(_dir, "root.der"), _pki.Root.RawData);
        File.WriteAllText(Path.Combine(_dir, "intermediate.crt"), _pki.Intermediate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_dir, "README"), "not a certificate");

        EkTrustAnchors anchors = EkTrustAnchors.LoadDirectory(_dir);

        Assert.Single(anchors.Roots);
        Assert.True(Validator(anchors).Validate(_pki.IssueEkCertificate(_tpm.EkPublicKey), _tpm.TpmHash).Trusted);
    }

    [Fact]
    public void A_certificate_for_another_key_is_a_key_mismatch()
    {
        using SoftwareTpm other = SoftwareTpm.CreateRsa();
        var anchors = new EkTrustAnchors([_pki.Root, _pki.Intermediate]);

        EkCertificateVerdict verdict = Validator(anchors).Validate(_pki.IssueEkCertificate(other.EkPublicKey), _tpm.TpmHash);

        Assert.Equal(EnrolmentRejectionReasons.EkCertificateKeyMismatch, verdict.ReasonCode);
    }

    [Fact]
    public void An_extended_key_usage_without_tcg_kp_EKCertificate_is_refused()
    {
        var anchors = new EkTrustAnchors([_pki.Root, _pki.Intermediate]);

        EkCertificateVerdict verdict = Validator(anchors).Validate(_pki.IssueEkCertificate(_tpm.EkPublicKey, ekEku: false), _tpm.TpmHash);

        Assert.Equal(EnrolmentRejectionReasons.EkCertificateUntrusted, verdict.ReasonCode);
        Assert.Contains("2.23.133.8.1", verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expired_certificate_is_refused_unless_validity_is_ignored()
    {
        var anchors = new EkTrustAnchors([_pki.Root, _pki.Intermediate]);
        byte[] expired = _pki.IssueEkCertificate(_tpm.EkPublicKey, notAfter: DateTimeOffset.UtcNow.AddHours(-1));

        Assert.False(Validator(anchors).Validate(expired, _tpm.TpmHash).Trusted);
        Assert.True(Validator(anchors, ignoreTime: true).Validate(expired, _tpm.TpmHash).Trusted);
    }

    [Fact]
    public void Garbage_is_not_a_certificate()
    {
        var anchors = new EkTrustAnchors([_pki.Root, _pki.Intermediate]);

        EkCertificateVerdict verdict = Validator(anchors).Validate([0x30, 0x03, 0x02, 0x01, 0x01], _tpm.TpmHash);

        Assert.Equal(EnrolmentRejectionReasons.EkCertificateUntrusted, verdict.ReasonCode);
    }

    [Fact]
    public void Nothing_chains_without_configured_roots()
    {
        EkCertificateVerdict verdict = Validator(EkTrustAnchors.LoadDirectory(Path.Combine(_dir, "missing")))
            .Validate(_pki.IssueEkCertificate(_tpm.EkPublicKey), _tpm.TpmHash);

        Assert.Equal(EnrolmentRejectionReasons.EkCertificateUntrusted, verdict.ReasonCode);
    }

    public void Dispose()
    {
        _pki.Dispose();
        _tpm.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
