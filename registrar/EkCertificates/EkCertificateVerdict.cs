namespace KcryptPush.Registrar.EkCertificates;

/// <summary>The outcome of checking an EK certificate.</summary>
/// <param name="Trusted">True when the certificate chains to a trusted CA, is an EK certificate and certifies the EK.</param>
/// <param name="ReasonCode">The rejection reason (KcryptPush.Contracts.V1.EnrolmentRejectionReasons) when not trusted.</param>
/// <param name="Detail">Why, for logs and the audit trail.</param>
public sealed record EkCertificateVerdict(bool Trusted, string? ReasonCode, string Detail)
{
    /// <summary>A trusted certificate.</summary>
    public static EkCertificateVerdict Ok(string detail) => new(true, null, detail);

    /// <summary>A refused certificate.</summary>
    public static EkCertificateVerdict Fail(string reasonCode, string detail) => new(false, reasonCode, detail);
}
