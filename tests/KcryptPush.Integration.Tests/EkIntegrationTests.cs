using System.Security.Cryptography.X509Certificates;
using KcryptPush.Integration.Tests.Fixtures;
using KcryptPush.Tpm.Client;
using KcryptPush.Tpm.Structures;

namespace KcryptPush.Integration.Tests;

/// <summary>Our EKs against tpm2_createek and against the certificates swtpm_setup provisioned.</summary>
[Trait("Category", "Integration")]
public sealed class EkIntegrationTests : IClassFixture<SwtpmClassFixture>
{
    private readonly SwtpmClassFixture _f;

    public EkIntegrationTests(SwtpmClassFixture fixture) => _f = fixture;

    [Theory]
    [InlineData(EkKind.Rsa2048, "rsa")]
    [InlineData(EkKind.EccP256, "ecc")]
    [InlineData(EkKind.EccP384, "ecc384")]
    public void Our_ek_has_the_name_and_public_area_of_tpm2_createek(EkKind kind, string toolsAlg)
    {
        byte[] ourName;
        byte[] ourPublic;
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        using (TpmKey ek = tpm.CreateEk(kind))
        {
            ourName = ek.Name;
            ourPublic = ek.Public.ToArray();
            Assert.Equal(ek.Public.ComputeName(), ek.Name);
        }

        string pub = $"ek-{toolsAlg}.pub";
        _f.Tools.Run("createek", "-G", toolsAlg, "-c", $"ek-{toolsAlg}.ctx", "-u", pub);
        TpmtPublic theirs = Tpm2bPublic.Parse(File.ReadAllBytes(_f.Tools.PathOf(pub)));

        Assert.Equal(theirs.ToArray(), ourPublic);
        Assert.Equal(theirs.ComputeName(), ourName);
    }

    [Theory]
    [InlineData(EkKind.Rsa2048)]
    [InlineData(EkKind.EccP384)]
    public void The_provisioned_certificate_chains_to_the_swtpm_ca_and_certifies_our_ek(EkKind kind)
    {
        byte[] ekSpki;
        X509Certificate2? cert;
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            cert = tpm.ReadEkCertificate(kind);
            using TpmKey ek = tpm.CreateEk(kind);
            ekSpki = ek.Public.ExportSubjectPublicKeyInfo();
        }

        Assert.NotNull(cert);
        using (cert)
        using (var chain = new X509Chain())
        using (X509Certificate2 root = _f.Tpm.RootCertificate)
        using (X509Certificate2 intermediate = _f.Tpm.IntermediateCertificate)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(root);
            chain.ChainPolicy.ExtraStore.Add(intermediate);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;

            bool ok = chain.Build(cert);

            Assert.True(ok, string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation}")));
            Assert.Equal(3, chain.ChainElements.Count);
            Assert.Equal(root.Thumbprint, chain.ChainElements[^1].Certificate.Thumbprint);
            Assert.Equal(ekSpki, cert.PublicKey.ExportSubjectPublicKeyInfo());
        }
    }

    [Fact]
    public void An_ek_certificate_index_that_does_not_exist_reads_as_null()
    {
        using TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri);

        Assert.Null(tpm.ReadEkCertificate(EkKind.EccP256));
    }

    [Fact]
    public void Info_reports_manufacturer_firmware_and_the_allocated_banks_as_tpm2_getcap_does()
    {
        TpmInfo info;
        using (TpmClient tpm = TpmClient.Open(_f.Tpm.TpmUri))
        {
            info = tpm.Info();
        }

        string props = _f.Tools.Run("getcap", "properties-fixed").StdOut;
        string pcrs = _f.Tools.Run("getcap", "pcrs").StdOut;

        Assert.Contains($"value: \"{info.Manufacturer}\"", props, StringComparison.Ordinal);
        Assert.Contains($"raw: 0x{info.FirmwareVersion1:X}", props, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"raw: 0x{info.FirmwareVersion2:X}", props, StringComparison.OrdinalIgnoreCase);
        Assert.Equal([KcryptPush.Tpm.Types.TpmAlgId.Sha1, KcryptPush.Tpm.Types.TpmAlgId.Sha256], info.Banks);
        Assert.Contains("sha256: [ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 ]", pcrs, StringComparison.Ordinal);
    }
}
