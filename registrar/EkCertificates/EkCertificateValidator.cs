using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KcryptPush.Contracts.V1;

namespace KcryptPush.Registrar.EkCertificates;

/// <summary>
/// Checks an EK certificate (TCG EK Credential Profile for TPM Family 2.0, §3.2 "EK Certificate"):
/// it must chain to a configured manufacturer CA, be an end-entity certificate usable as an EK
/// certificate, and certify exactly the EK public key that was sent.
/// </summary>
/// <remarks>
/// What is accepted, and why:
/// <list type="bullet">
/// <item>Chain: X509Chain with <see cref="X509ChainTrustMode.CustomRootTrust"/> over the configured
/// roots, intermediates from the same directory; no revocation check (manufacturer CAs rarely
/// publish reachable CRLs/OCSP for EK certificates, and a registrar must not depend on the
/// internet). Expired certificates fail unless IgnoreEkCertificateValidityPeriod is set.</item>
/// <item>Critical extensions: the EK profile requires a critical subjectAltName holding a
/// directoryName with the TPM manufacturer/model/version attributes (2.23.133.2.1–3) because the
/// subject is usually empty, and allows critical basicConstraints, keyUsage, certificatePolicies
/// and (non-critical) subjectDirectoryAttributes. Platforms' X.509 stacks may not know some of
/// them and report <see cref="X509ChainStatusFlags.HasNotSupportedCriticalExtension"/> on the leaf:
/// that flag is tolerated only when every critical extension of the leaf is one of those profile
/// extensions; any other critical extension, or any other chain error, rejects.</item>
/// <item>Extended key usage: if present it must include tcg-kp-EKCertificate (2.23.133.8.1); the
/// chain itself is built without an application policy because most EK certificates omit EKU and
/// X509Chain would otherwise reject them.</item>
/// <item>basicConstraints, if present, must say cA = false: a CA certificate is not an EK.</item>
/// <item>The certificate's SubjectPublicKeyInfo must denote the same key as the EK TPMT_PUBLIC
/// (compared through the TPM hash of both, i.e. SHA-256 of the re-encoded DER
/// SubjectPublicKeyInfo, so harmless encoding differences in the certificate do not matter).</item>
/// </list>
/// </remarks>
public sealed class EkCertificateValidator
{
    /// <summary>tcg-kp-EKCertificate (TCG EK Credential Profile §3.2.16).</summary>
    public const string EkCertificateEku = "2.23.133.8.1";

    private static readonly HashSet<string> ProfileCriticalExtensions =
    [
        "2.5.29.17", // subjectAltName (critical when the subject is empty, RFC 5280 §4.2.1.6)
        "2.5.29.19", // basicConstraints
        "2.5.29.15", // keyUsage
        "2.5.29.32", // certificatePolicies
        "2.5.29.9",  // subjectDirectoryAttributes (TPM specification attributes)
        "2.5.29.37", // extKeyUsage
    ];

    private readonly EkTrustAnchors _anchors;
    private readonly bool _ignoreValidityPeriod;
    private readonly TimeProvider _time;

    /// <summary>Creates the validator.</summary>
    public EkCertificateValidator(EkTrustAnchors anchors, bool ignoreValidityPeriod, TimeProvider time)
    {
        _anchors = anchors ?? throw new ArgumentNullException(nameof(anchors));
        _ignoreValidityPeriod = ignoreValidityPeriod;
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    /// <summary>Checks <paramref name="certificateDer"/> against the EK whose TPM hash is <paramref name="ekTpmHash"/>.</summary>
    public EkCertificateVerdict Validate(ReadOnlySpan<byte> certificateDer, string ekTpmHash)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(certificateDer);
        }
        catch (CryptographicException e)
        {
            return EkCertificateVerdict.Fail(EnrolmentRejectionReasons.EkCertificateUntrusted, $"the EK certificate is not a DER X.509 certificate: {e.Message}");
        }

        using (certificate)
        {
            string certHash;
            try
            {
                certHash = Tpm.Crypto.TpmHash.Of(certificate);
            }
            catch (CryptographicException e)
            {
                return EkCertificateVerdict.Fail(EnrolmentRejectionReasons.EkCertificateKeyMismatch, $"the EK certificate's public key cannot be read: {e.Message}");
            }

            if (!string.Equals(certHash, ekTpmHash, StringComparison.Ordinal))
            {
                return EkCertificateVerdict.Fail(EnrolmentRejectionReasons.EkCertificateKeyMismatch,
                    $"the EK certificate certifies key {certHash}, not the EK sent ({ekTpmHash})");
            }

            if (certificate.Extensions["2.5.29.19"] is X509BasicConstraintsExtension { CertificateAuthority: true })
            {
                return EkCertificateVerdict.Fail(EnrolmentRejectionReasons.EkCertificateUntrusted, "the EK certificate is a CA certificate");
            }

            if (certificate.Extensions["2.5.29.37"] is X509EnhancedKeyUsageExtension eku
                && !eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == EkCertificateEku))
            {
                return EkCertificateVerdict.Fail(EnrolmentRejectionReasons.EkCertificateUntrusted,
                    $"the EK certificate's extended key usage lacks tcg-kp-EKCertificate ({EkCertificateEku})");
            }

            return CheckChain(certificate);
        }
    }

    private EkCertificateVerdict CheckChain(X509Certificate2 certificate)
    {
        if (_anchors.Roots.Count == 0)
        {
            return EkCertificateVerdict.Fail(EnrolmentRejectionReasons.EkCertificateUntrusted, "no trusted EK CA is configured");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_anchors.Roots);
        chain.ChainPolicy.ExtraStore.AddRange(_anchors.Intermediates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (_ignoreValidityPeriod)
        {
            chain.ChainPolicy.VerificationFlags |= X509VerificationFlags.IgnoreNotTimeValid;
        }

        bool built = chain.Build(certificate);
        string issuer = certificate.Issuer;
        if (built)
        {
            return EkCertificateVerdict.Ok($"EK certificate chains to {chain.ChainElements[^1].Certificate.Subject}");
        }

        // Tolerate only "unsupported critical extension" on the leaf, and only for the extensions
        // the TCG EK profile puts there (see the class remarks).
        bool onlyProfileExtensions = true;
        for (int i = 0; i < chain.ChainElements.Count; i++)
        {
            foreach (X509ChainStatus status in chain.ChainElements[i].ChainElementStatus)
            {
                if (status.Status == X509ChainStatusFlags.NoError)
                {
                    continue;
                }

                bool tolerated = i == 0
                    && status.Status == X509ChainStatusFlags.HasNotSupportedCriticalExtension
                    && certificate.Extensions.Where(e => e.Critical).All(e => e.Oid?.Value is { } oid && ProfileCriticalExtensions.Contains(oid));
                if (!tolerated)
                {
                    onlyProfileExtensions = false;
                }
            }
        }

        bool reachesAnchor = chain.ChainElements.Count > 0
            && _anchors.Roots.Cast<X509Certificate2>().Any(r => r.RawData.AsSpan().SequenceEqual(chain.ChainElements[^1].Certificate.RawData));
        if (onlyProfileExtensions && reachesAnchor)
        {
            return EkCertificateVerdict.Ok($"EK certificate chains to {chain.ChainElements[^1].Certificate.Subject} (TCG profile critical extensions accepted)");
        }

        string problems = string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation.Trim()}").Distinct());
        return EkCertificateVerdict.Fail(EnrolmentRejectionReasons.EkCertificateUntrusted,
            $"the EK certificate (issuer '{issuer}') does not chain to a trusted EK CA: {problems}");
    }
}
