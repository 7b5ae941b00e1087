using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KcryptPush.Registrar.Tests.Support;

/// <summary>
/// A manufacturer CA (root + intermediate) that issues EK certificates shaped like the TCG EK
/// Credential Profile ones swtpm makes: empty-ish subject, critical subjectAltName with a
/// directoryName of TPM manufacturer/model/version, critical basicConstraints cA=false, critical
/// keyUsage keyEncipherment, EKU tcg-kp-EKCertificate.
/// </summary>
internal sealed class TestPki : IDisposable
{
    private TestPki(X509Certificate2 root, X509Certificate2 intermediate)
    {
        Root = root;
        Intermediate = intermediate;
    }

    public X509Certificate2 Root { get; }

    public X509Certificate2 Intermediate { get; }

    public static TestPki Create(string name = "Test TPM Manufacturer")
    {
        using RSA rootKey = RSA.Create(2048);
        var rootReq = new CertificateRequest($"CN={name} Root CA", rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rootReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootReq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootReq.PublicKey, false));
        X509Certificate2 root = rootReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));

        using RSA intKey = RSA.Create(2048);
        var intReq = new CertificateRequest($"CN={name} EK Issuing CA", intKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        intReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        intReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        intReq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(intReq.PublicKey, false));
        intReq.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using X509Certificate2 intPublic = intReq.Create(root, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5), NextSerial());
        X509Certificate2 intermediate = intPublic.CopyWithPrivateKey(intKey);
        return new TestPki(root, intermediate);
    }

    /// <summary>Issues an EK certificate for <paramref name="ekKey"/>.</summary>
    public byte[] IssueEkCertificate(PublicKey ekKey, bool ekEku = true, DateTimeOffset? notAfter = null)
    {
        var req = new CertificateRequest(new X500DistinguishedName("CN=unknown"), ekKey, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            new OidCollection { new Oid(ekEku ? "2.23.133.8.1" : "1.3.6.1.5.5.7.3.2") }, false));
        req.CertificateExtensions.Add(new X509Extension("2.5.29.17", TpmSubjectAltName(), critical: true));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Intermediate, true, false));
        using RSA issuerKey = Intermediate.GetRSAPrivateKey()!;
        using X509Certificate2 cert = req.Create(Intermediate.SubjectName, X509SignatureGenerator.CreateForRSA(issuerKey, RSASignaturePadding.Pkcs1),
            DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddYears(20), NextSerial());
        return cert.RawData;
    }

    /// <summary>Writes root.pem and intermediate.pem (the layout scripts/swtpm.sh makes) into <paramref name="dir"/>.</summary>
    public void WriteCaDirectory(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "root.pem"), Root.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "intermediate.pem"), Intermediate.ExportCertificatePem());
    }

    /// <summary>GeneralNames { directoryName [4] { 2.23.133.2.1 manufacturer, .2 model, .3 version } }.</summary>
    private static byte[] TpmSubjectAltName()
    {
        var name = new X500DistinguishedNameBuilder();
        name.Add("2.23.133.2.1", "id:00001014", UniversalTagNumber.UTF8String);
        name.Add("2.23.133.2.2", "swtpm", UniversalTagNumber.UTF8String);
        name.Add("2.23.133.2.3", "id:20191023", UniversalTagNumber.UTF8String);
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)))
            {
                w.WriteEncodedValue(name.Build().RawData);
            }
        }

        return w.Encode();
    }

    private static byte[] NextSerial()
    {
        byte[] serial = RandomNumberGenerator.GetBytes(8);
        serial[0] = (byte)((serial[0] & 0x7f) | 0x01); // positive, no redundant leading zero
        return serial;
    }

    public void Dispose()
    {
        Root.Dispose();
        Intermediate.Dispose();
    }
}
