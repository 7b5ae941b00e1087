using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KcryptPush.Messaging;

/// <summary>
/// TLS to the broker (<c>amqps://</c>): whom to trust and what to present. The broker's certificate
/// is checked by <see cref="Validate"/> on every connection, never accepted blindly:
/// <list type="bullet">
/// <item>its name must match the URI's host (the SAN, RFC 6125; .NET reports
/// <see cref="SslPolicyErrors.RemoteCertificateNameMismatch"/>), always;</item>
/// <item>with <see cref="BrokerOptions.CaFile"/> it must chain, for server authentication, to one
/// of the CAs in that file and only those (<see cref="X509ChainTrustMode.CustomRootTrust"/>);</item>
/// <item>without it, to a root the system trusts.</item>
/// </list>
/// MassTransit's RabbitMQ host accepts <see cref="SslPolicyErrors.RemoteCertificateChainErrors"/>
/// by default (any self-signed certificate would pass), which is why the validation callback is
/// always ours. Revocation is not checked: a private CA for a broker rarely publishes CRLs.
/// </summary>
public sealed class BrokerTls : IDisposable
{
    /// <summary>id-kp-serverAuth (RFC 5280 §4.2.1.12).</summary>
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");

    private BrokerTls(X509Certificate2Collection? trustedRoots, X509Certificate2? clientCertificate)
    {
        TrustedRoots = trustedRoots;
        ClientCertificate = clientCertificate;
    }

    /// <summary>The CAs of <see cref="BrokerOptions.CaFile"/>, or null for the system's roots.</summary>
    public X509Certificate2Collection? TrustedRoots { get; }

    /// <summary>The certificate (with its private key) presented for mutual TLS, or null.</summary>
    public X509Certificate2? ClientCertificate { get; }

    /// <summary>Reads the files the options name (none for a plain <c>amqp://</c> broker).</summary>
    /// <exception cref="InvalidBrokerTlsException">A file is missing, unreadable or not the expected PEM,
    /// or TLS files are set for an <c>amqp://</c> URI.</exception>
    public static BrokerTls Load(BrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        bool tls = BrokerAddress.Parse(options.Uri).UseTls;
        bool any = !string.IsNullOrEmpty(options.CaFile) || !string.IsNullOrEmpty(options.ClientCertificateFile) || !string.IsNullOrEmpty(options.ClientKeyFile);
        if (!tls)
        {
            // Trust or a client certificate configured for a plaintext broker is a mistake that
            // would otherwise go unnoticed: the operator believes the link is protected.
            return any
                ? throw new InvalidBrokerTlsException("Broker:CaFile/ClientCertificateFile/ClientKeyFile are set but Broker:Uri is amqp:// (plain TCP); use amqps://")
                : new BrokerTls(null, null);
        }

        X509Certificate2Collection? roots = string.IsNullOrEmpty(options.CaFile) ? null : LoadCas(options.CaFile);
        X509Certificate2? client = null;
        if (!string.IsNullOrEmpty(options.ClientCertificateFile))
        {
            client = LoadClientCertificate(options.ClientCertificateFile, options.ClientKeyFile);
        }
        else if (!string.IsNullOrEmpty(options.ClientKeyFile))
        {
            throw new InvalidBrokerTlsException("Broker:ClientKeyFile is set without Broker:ClientCertificateFile");
        }

        return new BrokerTls(roots, client);
    }

    /// <summary>
    /// Decides whether the broker's certificate is acceptable (the body of a
    /// <see cref="RemoteCertificateValidationCallback"/>); <paramref name="reason"/> says why not.
    /// </summary>
    /// <param name="certificate">The broker's leaf certificate.</param>
    /// <param name="presented">The chain .NET built from what the broker sent (its intermediates are used).</param>
    /// <param name="errors">What .NET found against the system's roots and the expected host name.</param>
    /// <param name="reason">Why the certificate is refused, or null.</param>
    public bool Validate(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, out string? reason)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            reason = "the broker presented no certificate";
            return false;
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            reason = $"the broker's certificate ({certificate.Subject}) does not name the host of Broker:Uri";
            return false;
        }

        if (TrustedRoots is null)
        {
            reason = errors == SslPolicyErrors.None
                ? null
                : $"the broker's certificate ({certificate.Subject}, issued by {certificate.Issuer}) does not chain to a root this system trusts"
                  + $" ({Describe(presented)}); for a private CA set Broker:CaFile";
            return reason is null;
        }

        using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(TrustedRoots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuth);
        if (presented is not null)
        {
            // Intermediates the broker sent; they are only path candidates, trust comes from the roots.
            foreach (X509ChainElement element in presented.ChainElements.Skip(1))
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (chain.Build(leaf))
        {
            reason = null;
            return true;
        }

        reason = $"the broker's certificate ({certificate.Subject}, issued by {certificate.Issuer}) does not chain to a CA in Broker:CaFile ({Describe(chain)})";
        return false;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        ClientCertificate?.Dispose();
        if (TrustedRoots is not null)
        {
            foreach (X509Certificate2 c in TrustedRoots)
            {
                c.Dispose();
            }
        }
    }

    private static string Describe(X509Chain? chain) =>
        chain is null || chain.ChainStatus.Length == 0
            ? "no chain status"
            : string.Join(", ", chain.ChainStatus.Select(s => s.Status).Distinct());

    private static X509Certificate2Collection LoadCas(string path)
    {
        var cas = new X509Certificate2Collection();
        try
        {
            cas.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new InvalidBrokerTlsException($"Broker:CaFile {path}: {Reason(e)}", e);
        }

        return cas.Count > 0
            ? cas
            : throw new InvalidBrokerTlsException($"Broker:CaFile {path}: no PEM CERTIFICATE in the file");
    }

    private static X509Certificate2 LoadClientCertificate(string certPath, string? keyPath)
    {
        string option = string.IsNullOrEmpty(keyPath) ? $"Broker:ClientCertificateFile {certPath} (key in the same file)" : $"Broker:ClientCertificateFile {certPath} / Broker:ClientKeyFile {keyPath}";
        try
        {
            using X509Certificate2 pem = X509Certificate2.CreateFromPemFile(certPath, string.IsNullOrEmpty(keyPath) ? null : keyPath);

            // A key loaded from PEM is ephemeral; SslStream on some platforms (Windows SChannel)
            // cannot use such a key, a PKCS#12 round trip gives it a persisted form everywhere.
            byte[] pfx = pem.Export(X509ContentType.Pkcs12);
            return X509CertificateLoader.LoadPkcs12(pfx, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new InvalidBrokerTlsException($"{option}: {Reason(e)}", e);
        }
    }

    private static string Reason(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "file not found",
        UnauthorizedAccessException => "permission denied",
        CryptographicException => $"not a valid PEM certificate/key ({e.Message})",
        ArgumentException => "the private key does not match the certificate",
        _ => e.Message,
    };
}
