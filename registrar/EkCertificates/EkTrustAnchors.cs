using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KcryptPush.Registrar.EkCertificates;

/// <summary>
/// The trusted TPM manufacturer CAs, loaded from a directory: every <c>*.pem</c>, <c>*.crt</c>,
/// <c>*.cer</c> and <c>*.der</c> file (PEM files may hold several certificates). Self-signed
/// certificates become roots (custom trust anchors), the others intermediates that may appear in
/// a chain but are not trusted on their own.
/// </summary>
public sealed class EkTrustAnchors
{
    private static readonly string[] Extensions = [".pem", ".crt", ".cer", ".der"];

    /// <summary>Creates the set from certificates.</summary>
    public EkTrustAnchors(IEnumerable<X509Certificate2> certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        var roots = new X509Certificate2Collection();
        var intermediates = new X509Certificate2Collection();
        foreach (X509Certificate2 c in certificates)
        {
            (IsSelfSigned(c) ? roots : intermediates).Add(c);
        }

        Roots = roots;
        Intermediates = intermediates;
    }

    /// <summary>Self-signed CA certificates: the trust anchors.</summary>
    public X509Certificate2Collection Roots { get; }

    /// <summary>Other CA certificates: usable to build a chain, not trusted by themselves.</summary>
    public X509Certificate2Collection Intermediates { get; }

    /// <summary>An empty set (nothing chains).</summary>
    public static EkTrustAnchors Empty { get; } = new([]);

    /// <summary>Loads a directory; a missing directory gives an empty set (every certificate is then untrusted).</summary>
    /// <exception cref="CryptographicException">A file in the directory is not a certificate.</exception>
    public static EkTrustAnchors LoadDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return Empty;
        }

        var all = new List<X509Certificate2>();
        foreach (string file in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            if (!Extensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            string text = File.ReadAllText(file);
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                var pem = new X509Certificate2Collection();
                pem.ImportFromPem(text);
                all.AddRange(pem);
            }
            else
            {
                all.Add(X509CertificateLoader.LoadCertificateFromFile(file));
            }
        }

        return new EkTrustAnchors(all);
    }

    private static bool IsSelfSigned(X509Certificate2 c) =>
        c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData) && VerifiesItself(c);

    private static bool VerifiesItself(X509Certificate2 c)
    {
        // A self-issued certificate is a root only if its own key verifies it (RFC 5280 §3.2).
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(c);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
        return chain.Build(c);
    }
}
